"""The conversation list: New chat, search as you type, the folders (components/folder_sidebar.py), the
date groups of the conversations in no folder, and a menu on every row (rename in place, pin, move to
folder, export, delete)."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from portal.chat_service import ChatService
from portal.conversation_groups import grouped, zone
from portal.markdown_text import escape_markdown
from storage.records import ConversationRecord

from . import state
from .chat_actions import conversation_menu_options, on_conversation_menu, save_title
from .conversation_nav import open_conversation
from .folder_sidebar import folder_section

PAGE_SIZE = 15


def _reset_list() -> None:
    st.session_state[state.SIDEBAR_SHOWN] = PAGE_SIZE


def _show_more() -> None:
    st.session_state[state.SIDEBAR_SHOWN] = st.session_state.get(state.SIDEBAR_SHOWN, PAGE_SIZE) + PAGE_SIZE


def new_chat_button(where=st.sidebar, key: str = "new_chat", label: str = "New chat") -> None:
    where.button(label, icon=":material/edit_square:", key=key, width="stretch" if label else "content", on_click=open_conversation, args=(None,))


def conversation_sidebar(service: ChatService, current: ConversationRecord | None) -> None:
    sidebar = st.sidebar
    new_chat_button()
    search = sidebar.text_input(
        "Search conversations", key=state.SIDEBAR_SEARCH, on_change=_reset_list, placeholder="Search titles and messages",
        type="search", live=True, label_visibility="collapsed", icon=":material/search:",
    )
    current_id = current.id if current is not None else None

    def draw_row(conversation: ConversationRecord, where=sidebar) -> None:  # noqa: ANN001 - a DeltaGenerator
        _row(service, conversation, conversation.id == current_id, where)

    # A search covers every conversation, in a folder or not; otherwise the folders come first, and the
    # date groups hold the conversations in no folder.
    tree = folder_section(service, current, draw_row) if not search else None
    shown = st.session_state.get(state.SIDEBAR_SHOWN, PAGE_SIZE)
    page = service.list_conversations(limit=shown, offset=0, search=search or None, unfiled=not search)
    if not page.items:
        if search:
            sidebar.caption(f"No conversation matches “{escape_markdown(search)}”. Try another word, or clear the search.")
        elif not tree:
            sidebar.caption("No conversations yet. Type a message in the box below to start one; it is saved here.")
    groups = [("Results", list(page.items))] if search else grouped(page.items, datetime.now(UTC), zone(st.context.timezone))
    for name, items in groups:
        sidebar.html(f'<p class="portal-group" role="heading" aria-level="2">{name}</p>')
        for conversation in items:
            draw_row(conversation)
    if page.has_more:
        sidebar.button("Show more", key="conv_more", icon=":material/expand_more:", type="tertiary", on_click=_show_more)


def _row(service: ChatService, conversation: ConversationRecord, is_current: bool, where) -> None:  # noqa: ANN001
    """One conversation row, drawn into `where` (the sidebar, or a folder's expander)."""
    cid = conversation.id
    if st.session_state.get(state.RENAMING) == cid:
        key = f"title_{cid}"
        where.text_input(
            "New title (Enter saves)", value=conversation.title, key=key, max_chars=200,
            on_change=save_title, args=(service, cid, key),
        )
        return
    marker = "current" if is_current else "open"
    with where.container(horizontal=True, key=f"conv_row_{cid}", vertical_alignment="center", gap=None, wrap=False):
        st.button(
            escape_markdown(conversation.title), key=f"conv_title_{marker}_{cid}", type="tertiary", width="stretch",
            icon=":material/push_pin:" if conversation.pinned else None, on_click=open_conversation, args=(cid,),
        )
        menu_key = f"conv_menu_{cid}"
        st.menu_button(
            "Conversation actions", conversation_menu_options(conversation), key=menu_key, type="tertiary",
            icon=":material/more_horiz:", on_click=on_conversation_menu, args=(service, conversation, menu_key),
        )
