"""Messages that must outlive a rerun (an attachment refused while the message was sent, an edit that
was empty, a connection just saved): remembered in the session, shown once at the top of the next run.

`start_run()` (the router, first thing) takes what earlier runs and this run's callbacks remembered;
`show_remembered()` draws it. What a run remembers after that waits for the next run.
"""

from __future__ import annotations

import streamlit as st

from . import state

_NEXT = state.NOTICE + "_next"
ERROR, SUCCESS = "error", "success"


def remember(message: str) -> None:
    st.session_state.setdefault(_NEXT, []).append((ERROR, message))


def remember_success(message: str) -> None:
    st.session_state.setdefault(_NEXT, []).append((SUCCESS, message))


def start_run() -> None:
    st.session_state[state.NOTICE] = st.session_state.pop(_NEXT, [])


def show_remembered() -> None:
    """Show (once) what was remembered for this run."""
    for level, message in st.session_state.pop(state.NOTICE, []):
        if level == SUCCESS:
            st.success(message, icon=":material/check_circle:")
        else:
            st.error(message, icon=":material/error:")
