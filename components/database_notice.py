"""What a page shows while the database is away: a clear message instead of a stack trace, the
detail, a "Retry now" button, and a check every few seconds that reruns the page once it answers."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from storage.errors import DatabaseUnavailable

RETRY_EVERY_SECONDS = 5
LAST_FAILURE = "portal_database_last_failure"  # monotonic time of the last failed attempt (this session)
HEADLINE = "Database unreachable, retrying."


def show_unreachable(
    error: DatabaseUnavailable, explanation: str, ping: Callable[[], None], between: Callable[[], None] = lambda: None
) -> None:
    """The message, then `between` (e.g. what waits to be saved), then the retry controls."""
    st.session_state[LAST_FAILURE] = time.monotonic()
    st.error(f"**{HEADLINE}** {explanation}", icon=":material/cloud_off:")
    st.caption("Detail: " + error.detail.replace("`", "'"))
    between()
    st.button("Retry now", icon=":material/refresh:", key="portal_database_retry")  # a click reruns the page
    _retry_when_back(ping)


@st.fragment(run_every=RETRY_EVERY_SECONDS)
def _retry_when_back(ping: Callable[[], None]) -> None:
    """Every few seconds, ask the database; once it answers, run the page again."""
    st.caption(f"Trying again every {RETRY_EVERY_SECONDS} s.")
    if time.monotonic() - st.session_state.get(LAST_FAILURE, 0.0) < RETRY_EVERY_SECONDS / 2:
        return  # the page run that drew this has just failed
    try:
        ping()
    except DatabaseUnavailable:
        st.session_state[LAST_FAILURE] = time.monotonic()
        return
    st.rerun(scope="app")
