"""Actions under a conversation: regenerate, edit and resend, export (Markdown, JSON) and import."""

from __future__ import annotations

import streamlit as st

from portal.chat_service import ChatService, EmptyMessage
from portal.chat_settings import ChatSettings
from storage.errors import InvalidImport
from storage.records import ConversationRecord, MessageRecord

from . import state
from .conversation_sidebar import open_conversation

PENDING_REPLY = "portal_pending_reply"


def request_reply(conversation_id: str) -> None:
    st.session_state[PENDING_REPLY] = conversation_id


def take_pending_reply(conversation_id: str | None) -> bool:
    return conversation_id is not None and st.session_state.pop(PENDING_REPLY, None) == conversation_id


def conversation_actions(service: ChatService, conversation: ConversationRecord, last: MessageRecord | None, settings: ChatSettings) -> None:
    regenerate, edit, export_md, export_json = st.columns(4)
    if last is not None and last.role == "assistant" and regenerate.button("Regenerate", icon=":material/refresh:"):
        if service.drop_last_reply(conversation.id):
            request_reply(conversation.id)
            st.rerun()
    if edit.button("Edit last message", icon=":material/edit:"):
        st.session_state[state.EDITING] = conversation.id
    export_md.download_button(
        "Markdown", data=lambda: service.export_markdown(conversation.id), file_name=f"{conversation.title[:40]}.md",
        mime="text/markdown", icon=":material/download:", on_click="ignore",
    )
    export_json.download_button(
        "JSON", data=lambda: service.export_json(conversation.id), file_name=f"{conversation.title[:40]}.json",
        mime="application/json", icon=":material/download:", on_click="ignore",
    )
    if st.session_state.get(state.EDITING) == conversation.id:
        _edit_form(service, conversation, settings)


def _edit_form(service: ChatService, conversation: ConversationRecord, settings: ChatSettings) -> None:
    last_user = service.last_message(conversation.id, "user")
    if last_user is None:
        st.session_state.pop(state.EDITING, None)
        return
    with st.form(f"edit_{conversation.id}"):
        text = st.text_area("Edit your last message; the reply after it is replaced", value=last_user.content)
        resend, cancel = st.columns(2)
        submitted = resend.form_submit_button("Resend", type="primary")
        cancelled = cancel.form_submit_button("Cancel")
    if cancelled:
        st.session_state.pop(state.EDITING, None)
        st.rerun()
    if submitted:
        try:
            service.replace_last_user_message(conversation.id, text, settings)
        except EmptyMessage as exc:
            st.warning(str(exc))
            return
        st.session_state.pop(state.EDITING, None)
        request_reply(conversation.id)
        st.rerun()


def import_box(service: ChatService) -> None:
    with st.sidebar.expander("Import a conversation", icon=":material/upload:"):
        upload = st.file_uploader("JSON export", type=["json"], key="import_upload")
        if upload is not None and st.button("Import", key="import_go"):
            try:
                conversation = service.import_json(upload.getvalue())
            except InvalidImport as exc:
                st.error(f"Could not import: {exc}")
                return
            open_conversation(conversation.id)
            st.rerun()
