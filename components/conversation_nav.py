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
    leave_folder_draft()


def leave_folder_draft() -> None:
    """A new chat is no longer meant for a folder: the folder's defaults leave the draft settings too."""
    if st.session_state.pop(state.DRAFT_FOLDER, None) is not None:
        st.session_state.pop(state.DRAFT_SETTINGS, None)
    st.session_state.pop(state.DRAFT_SCOPE, None)


def draft_folder() -> str | None:
    """The folder the new chat being written will go in (None: in no folder)."""
    return st.session_state.get(state.DRAFT_FOLDER)


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
