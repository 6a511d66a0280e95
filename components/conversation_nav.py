"""Which conversation is open: `?c=<id>` in the URL, remembered in the session for page switches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from . import state

if TYPE_CHECKING:
    from portal.chat_service import ChatService


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


def message_link_url(conversation_id: str, message_id: int) -> str:
    """A link to a conversation opened at one of its messages, relative to the app's base path."""
    return f"./?{state.CONVERSATION_QUERY_PARAM}={conversation_id}&{state.MESSAGE_QUERY_PARAM}={message_id}"


def linked_message(service: ChatService, conversation_id: str, tail: int) -> int | None:
    """The message a link (`?m=<id>`) opened this conversation at: its branch is shown and enough of
    the latest messages are loaded to reach it. It stays marked until the next message is sent."""
    raw = st.query_params.get(state.MESSAGE_QUERY_PARAM)
    if raw is not None:
        st.query_params.pop(state.MESSAGE_QUERY_PARAM, None)  # a reload shows the conversation as usual
        place = service.reveal(conversation_id, int(raw)) if raw.isdigit() else None
        if place is None:
            st.session_state.pop(state.TARGET_MESSAGE, None)
            st.warning("That message is no longer in this conversation; here is the conversation as it is now.")
        else:
            st.session_state[state.TARGET_MESSAGE] = (conversation_id, int(raw))
            shown_key = f"{state.SHOW_ALL_FROM}_{conversation_id}"
            st.session_state[shown_key] = max(st.session_state.get(shown_key, tail), place)
    target = st.session_state.get(state.TARGET_MESSAGE)
    return target[1] if target and target[0] == conversation_id else None
