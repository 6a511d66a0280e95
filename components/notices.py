"""Messages that must outlive the rerun that follows a streamed reply (an attachment refused while the
message was sent): remembered in the session, shown once in the next run.

`start_run()` at the top of the page takes what earlier runs remembered; what this run remembers waits
for the next one (this run shows its own messages where they happen).
"""

from __future__ import annotations

import streamlit as st

from . import state

_NEXT = state.NOTICE + "_next"


def remember(message: str) -> None:
    st.session_state.setdefault(_NEXT, []).append(message)


def start_run() -> None:
    st.session_state[state.NOTICE] = st.session_state.pop(_NEXT, [])


def show_remembered() -> None:
    """Show (once) what the previous run remembered."""
    for message in st.session_state.pop(state.NOTICE, []):
        st.error(message, icon=":material/error:")
