"""The conversation list: newest first with paging, search, new chat, rename and delete with confirmation."""

from __future__ import annotations

import streamlit as st

from portal.chat_service import ChatService
from storage.records import ConversationRecord

from . import state

PAGE_SIZE = 15


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


def _reset_page() -> None:
    st.session_state[state.SIDEBAR_PAGE] = 0


def conversation_sidebar(service: ChatService, current: ConversationRecord | None) -> None:
    sidebar = st.sidebar
    sidebar.button("New chat", icon=":material/add:", width="stretch", on_click=open_conversation, args=(None,))
    search = sidebar.text_input("Search conversations", key=state.SIDEBAR_SEARCH, on_change=_reset_page, placeholder="title or message text")
    page_number = st.session_state.get(state.SIDEBAR_PAGE, 0)
    page = service.list_conversations(limit=PAGE_SIZE, offset=page_number * PAGE_SIZE, search=search)
    if not page.items:
        sidebar.caption("No conversations match." if search else "No conversations yet.")
    for conversation in page.items:
        is_current = current is not None and conversation.id == current.id
        sidebar.button(
            conversation.title,
            key=f"open_{conversation.id}",
            type="primary" if is_current else "secondary",
            width="stretch",
            on_click=open_conversation,
            args=(conversation.id,),
        )
    newer, older = sidebar.columns(2)
    if page_number > 0 and newer.button("Newer", key="page_newer"):
        st.session_state[state.SIDEBAR_PAGE] = page_number - 1
        st.rerun()
    if page.has_more and older.button("Older", key="page_older"):
        st.session_state[state.SIDEBAR_PAGE] = page_number + 1
        st.rerun()
    if current is not None:
        _manage(service, current)


def _manage(service: ChatService, current: ConversationRecord) -> None:
    with st.sidebar.expander("This conversation", icon=":material/edit:"):
        title = st.text_input("Title", value=current.title, key=f"title_{current.id}", max_chars=200)
        if st.button("Rename", key=f"rename_{current.id}") and title.strip() and title != current.title:
            service.rename(current.id, title)
            st.rerun()
        confirm_key = f"{state.CONFIRM_DELETE}_{current.id}"
        if not st.session_state.get(confirm_key):
            if st.button("Delete…", key=f"delete_{current.id}", icon=":material/delete:"):
                st.session_state[confirm_key] = True
                st.rerun()
        else:
            st.warning("Delete this conversation and all its messages? This cannot be undone.")
            yes, no = st.columns(2)
            if yes.button("Delete", key=f"delete_yes_{current.id}", type="primary"):
                service.delete(current.id)
                st.session_state.pop(confirm_key, None)
                open_conversation(None)
                st.rerun()
            if no.button("Cancel", key=f"delete_no_{current.id}"):
                st.session_state.pop(confirm_key, None)
                st.rerun()
