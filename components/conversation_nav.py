"""Which conversation is open: `?c=<id>` in the URL, remembered in the session for page switches."""

from __future__ import annotations

import streamlit as st

from . import state


def open_conversation(conversation_id: str | None) -> None:
    if conversation_id:
        st.query_params[state.CONVERSATION_QUERY_PARAM] = conversation_id
        st.session_state[state.OPEN_CONVERSATION] = conversation_id
    else:
        st.query_params.pop(state.CONVERSATION_QUERY_PARAM, None)
        st.session_state.pop(state.OPEN_CONVERSATION, None)
    st.session_state.pop(state.EDITING, None)


def requested_conversation_id() -> str | None:
    """The conversation in the URL; coming back from another page (which drops the URL's
    query), the one this session had open."""
    conversation_id = st.query_params.get(state.CONVERSATION_QUERY_PARAM)
    if conversation_id is None and (remembered := st.session_state.get(state.OPEN_CONVERSATION)):
        st.query_params[state.CONVERSATION_QUERY_PARAM] = remembered
        return remembered
    if conversation_id:
        st.session_state[state.OPEN_CONVERSATION] = conversation_id
    return conversation_id
