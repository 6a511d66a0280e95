"""What the buttons of the chat do: edit (fork), regenerate (a sibling reply), switch branches, and the
conversation's own actions (rename, pin, share, export, delete with a confirmation, import).

Callbacks run before the page's next run, so the page draws the result at once. They only call
ChatService and set session-state keys (components/state.py); the page draws.
"""

from __future__ import annotations

import streamlit as st

from portal.chat_service import ChatService, EmptyMessage
from portal.markdown_text import escape_markdown
from storage.errors import InvalidImport
from storage.records import ConversationRecord, MessageRecord

from . import notices, share_view, state
from .conversation_nav import open_conversation
from .folder_sidebar import move_conversation_dialog

PENDING_REPLY = "portal_pending_reply"
RENAME, PIN, UNPIN, MOVE, SHARE, EXPORT, DELETE = "Rename", "Pin", "Unpin", "Move to folder", "Share", "Export", "Delete"


def request_reply(conversation_id: str) -> None:
    st.session_state[PENDING_REPLY] = conversation_id


def reply_requested(conversation_id: str | None) -> bool:
    return conversation_id is not None and st.session_state.get(PENDING_REPLY) == conversation_id


def take_pending_reply(conversation_id: str | None) -> bool:
    return conversation_id is not None and st.session_state.pop(PENDING_REPLY, None) == conversation_id


# -- messages ---------------------------------------------------------------------------------------


def start_edit(message: MessageRecord) -> None:
    st.session_state[state.EDITING] = message.id


def cancel_edit() -> None:
    st.session_state.pop(state.EDITING, None)


def regenerate(service: ChatService, conversation_id: str, reply: MessageRecord) -> None:
    if service.regenerate(conversation_id, reply.id):
        request_reply(conversation_id)


def switch_branch(service: ChatService, conversation_id: str, message_id: int) -> None:
    service.show_branch(conversation_id, message_id)


def edit_form(service: ChatService, conversation_id: str, message: MessageRecord) -> None:
    """The message becomes a text box in place; Send forks the conversation there."""
    key = f"edit_text_{message.id}"
    with st.form(f"edit_form_{message.id}", border=False):
        st.text_area("Edit your message", value=message.content, key=key, height="content")
        st.caption("Sending starts a new branch here; the current version and its replies stay one click away.")
        with st.container(horizontal=True):
            st.form_submit_button("Send", type="primary", icon=":material/send:", on_click=_send_edit, args=(service, conversation_id, message.id, key))
            st.form_submit_button("Cancel", on_click=cancel_edit)


def _send_edit(service: ChatService, conversation_id: str, message_id: int, key: str) -> None:
    try:
        edited = service.edit_message(conversation_id, message_id, st.session_state.get(key, ""))
    except EmptyMessage as exc:
        notices.remember(str(exc))
        return
    cancel_edit()
    if edited is not None:
        request_reply(conversation_id)


# -- conversations ----------------------------------------------------------------------------------


def conversation_menu_options(conversation: ConversationRecord) -> list[str]:
    return [RENAME, UNPIN if conversation.pinned else PIN, MOVE, SHARE, EXPORT, DELETE]


def on_conversation_menu(service: ChatService, conversation: ConversationRecord, menu_key: str) -> None:
    choice = st.session_state.get(menu_key)
    if choice == RENAME:
        st.session_state[state.RENAMING] = conversation.id
    elif choice in (PIN, UNPIN):
        service.set_pinned(conversation.id, choice == PIN)
    elif choice == SHARE:
        st.session_state[state.SHARING] = conversation.id
        st.session_state.pop(state.SHARE_LINK, None)
    elif choice == MOVE:
        st.session_state[state.MOVING] = conversation.id
    elif choice == EXPORT:
        st.session_state[state.EXPORTING] = conversation.id
    elif choice == DELETE:
        st.session_state[state.CONFIRM_DELETE] = conversation.id


def save_title(service: ChatService, conversation_id: str, key: str) -> None:
    """Enter (or leaving the field) saves; an empty title keeps the old one."""
    title = str(st.session_state.get(key) or "").strip()
    if title:
        service.rename(conversation_id, title)
    st.session_state.pop(state.RENAMING, None)


def conversation_dialogs(service: ChatService, current: ConversationRecord | None) -> None:
    """The delete confirmation, the share and export dialogs and "Move to folder", for whichever conversation asked."""
    target = _asked_for(service, state.CONFIRM_DELETE)
    if target is not None:
        _confirm_delete(service, target, current)
    target = _asked_for(service, state.SHARING)
    if target is not None:
        share_view.share_dialog(target)
    target = _asked_for(service, state.EXPORTING)
    if target is not None:
        _export(service, target)
    target = _asked_for(service, state.MOVING)
    if target is not None:
        move_conversation_dialog(service, target)


def _asked_for(service: ChatService, key: str) -> ConversationRecord | None:
    """The conversation whose id sits in session-state `key`; a stale id (deleted meanwhile) is dropped."""
    conversation_id = st.session_state.get(key)
    target = service.get_conversation(conversation_id) if conversation_id else None
    if conversation_id and target is None:
        st.session_state.pop(key, None)
    return target


def _forget_delete() -> None:
    st.session_state.pop(state.CONFIRM_DELETE, None)


def _forget_export() -> None:
    st.session_state.pop(state.EXPORTING, None)


@st.dialog("Delete this conversation?", on_dismiss=_forget_delete)
def _confirm_delete(service: ChatService, target: ConversationRecord, current: ConversationRecord | None) -> None:
    st.write(f"“{escape_markdown(target.title)}” and its {target.message_count} messages will be deleted. This cannot be undone.")
    with st.container(horizontal=True):
        if st.button("Delete", type="primary", icon=":material/delete:", key="delete_confirm"):
            service.delete(target.id)
            st.session_state.pop(state.CONFIRM_DELETE, None)
            if current is not None and current.id == target.id:
                open_conversation(None)
            st.rerun()
        if st.button("Cancel", key="delete_cancel"):
            st.session_state.pop(state.CONFIRM_DELETE, None)
            st.rerun()


@st.dialog("Export this conversation", on_dismiss=_forget_export)
def _export(service: ChatService, target: ConversationRecord) -> None:
    st.write(f"“{escape_markdown(target.title)}”, with every branch. JSON can be imported again; Markdown is for reading.")
    name = _file_name(target.title)
    with st.container(horizontal=True):
        st.download_button(
            "JSON", data=lambda: service.export_json(target.id), file_name=f"{name}.json", mime="application/json",
            icon=":material/download:", on_click="ignore", key="export_json",
        )
        st.download_button(
            "Markdown", data=lambda: service.export_markdown(target.id), file_name=f"{name}.md", mime="text/markdown",
            icon=":material/download:", on_click="ignore", key="export_markdown",
        )
        if st.button("Done", key="export_done"):
            st.session_state.pop(state.EXPORTING, None)
            st.rerun()


def _file_name(title: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip()
    return (safe or "conversation")[:40]


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
