"""The top of the chat: the title (renamed in place), the settings panel and its one-line summary, the
conversation's menu, and New chat (reachable at phone width, where the sidebar is folded away)."""

from __future__ import annotations

import streamlit as st

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings, settings_summary
from portal.markdown_text import escape_markdown
from portal.settings import Connection
from storage.records import ConversationRecord

from . import resources, state
from .chat_actions import conversation_menu_options, on_conversation_menu, save_title
from .compare_view import compare_editor, setup_caption
from .conversation_nav import open_conversation
from .settings_form import settings_form


def chat_header(service: ChatService, conversation: ConversationRecord | None, stored: ChatSettings, connection: Connection) -> ChatSettings:
    """Draw the header; return the settings the panel holds (the stored ones, changed or not)."""
    scope = conversation.id if conversation else st.session_state.get(state.DRAFT_SCOPE, "draft")
    with st.container(horizontal=True, key="chat_header", vertical_alignment="center", gap="small"):
        if conversation is not None and st.session_state.get(state.RENAMING) == conversation.id:
            key = f"title_top_{conversation.id}"
            st.text_input(
                "New title (Enter saves)", value=conversation.title, key=key, max_chars=200, width="stretch",
                on_change=save_title, args=(service, conversation.id, key),
            )
        else:
            title = conversation.title if conversation else "New chat"
            st.markdown(f"# {escape_markdown(title)}", width="stretch")
        with st.popover("Settings", icon=":material/tune:", key="settings_popover", help="Model, system prompt, parameters, tools"):
            with st.container(key="settings_panel"):
                settings = settings_form(stored, connection, scope)
        compare_on = setup_caption(stored) is not None
        with st.popover(
            "Compare", icon=":material/view_column:", key="compare_popover", help="Answer each message with 2 to 4 models side by side",
            type="primary" if compare_on else "secondary",
        ):
            settings = compare_editor(settings, connection, scope)
        if conversation is not None:
            st.menu_button(
                "Conversation actions", conversation_menu_options(conversation), key="chat_menu", icon=":material/more_horiz:",
                on_click=on_conversation_menu, args=(service, conversation, "chat_menu"),
            )
        st.button("New chat", key="new_chat_top", icon=":material/edit_square:", on_click=open_conversation, args=(None,))
    default_model = resources.get_model_choices(connection).default_chat or connection.chat_model
    st.caption(escape_markdown(settings_summary(settings, default_model)))
    if (line := setup_caption(settings)) is not None:
        st.caption(f":material/view_column: {line}")
    return settings
