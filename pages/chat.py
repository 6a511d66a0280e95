"""Chat: streaming replies with persisted history. UI only; the logic lives in portal.chat_service.

Every sent message goes through the session's outbox (portal/outbox.py): it is stored first, and only
then answered. While the database is unreachable the page shows that instead of a stack trace, keeps
what was sent as pending, and stores and answers it when the database is back.
"""

import streamlit as st

from components import notices, resources, state
from components.chat_actions import conversation_actions, import_box, take_pending_reply
from components.conversation_sidebar import conversation_sidebar, open_conversation, requested_conversation_id
from components.message_view import render_message
from components.outbox_view import Submission, database_unreachable
from components.reply_view import stream_turn
from components.router_guard import require_router
from components.services import chat_service
from components.settings_form import settings_form
from portal.attachments import AUDIO_TYPES, IMAGE_TYPES, MAX_UPLOAD_BYTES
from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.outbox import DatabaseUnavailable, Outbox, database_errors

TAIL_MESSAGES = 40
MORE_STEP = 50


def open_service() -> ChatService:
    with database_errors():  # the first use creates and migrates the database
        return chat_service()


def ping_database() -> None:
    open_service().ping()


def main() -> None:
    require_router()
    notices.start_run()
    outbox = Outbox(st.session_state)
    # Read before anything touches the database, so a message sent while it is away is kept.
    submitted = st.chat_input(
        "Message the model (try /long 300 or /fault 500 on the offline demo)",
        submit_mode="stop",
        accept_file="multiple",
        file_type=list(IMAGE_TYPES + AUDIO_TYPES),
        max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
    )
    submission = Submission(submitted) if submitted is not None else None
    try:
        show_chat(submission, outbox)
    except DatabaseUnavailable as exc:
        if submission is not None:
            submission.queue(outbox, requested_conversation_id(), ChatSettings().image_detail)
        database_unreachable(outbox, exc, ping_database)


def show_chat(submission: Submission | None, outbox: Outbox) -> None:
    service = open_service()
    conversation_id = requested_conversation_id()
    conversation = service.get_conversation(conversation_id)
    if conversation_id and conversation is None:
        st.warning("That conversation does not exist or is not yours. Start a new chat or pick one from the sidebar.")
        open_conversation(None)
    conversation_sidebar(service, conversation)
    import_box(service)
    stored = ChatSettings.from_dict(conversation.settings if conversation else None)
    settings = settings_form(stored, resources.current_connection(), scope=conversation.id if conversation else "draft")
    if conversation is not None and settings != stored:
        service.save_settings(conversation.id, settings)
    if submission is not None:
        submission.queue(outbox, conversation.id if conversation else None, settings.image_detail)
    stored_in = outbox.flush(service, settings)  # pending messages are stored before any request
    if stored_in is not None and (conversation is None or stored_in != conversation.id):
        was_draft = conversation is None  # the draft settings were just stored with the new conversation
        open_conversation(stored_in)
        conversation = service.get_conversation(stored_in)
        if not was_draft and conversation is not None:
            settings = ChatSettings.from_dict(conversation.settings)

    st.title(conversation.title if conversation else "Chat")
    notices.show_remembered()  # e.g. an attachment refused in the run before the reply's rerun
    last = None
    if conversation is not None:
        service.recover_interrupted(conversation.id)
        shown_key = f"{state.SHOW_ALL_FROM}_{conversation.id}"
        limit = st.session_state.get(shown_key, TAIL_MESSAGES)
        messages, total = service.recent_messages(conversation.id, limit)
        if total > len(messages) and st.button(f"Show earlier messages ({total - len(messages)} hidden)", icon=":material/expand_less:"):
            st.session_state[shown_key] = limit + MORE_STEP
            st.rerun()
        for message in messages:
            render_message(message)
        last = messages[-1] if messages else None
        if last is not None:
            conversation_actions(service, conversation, last, settings)

    if conversation is not None:
        requested = take_pending_reply(conversation.id)  # regenerate, edit and resend
        if outbox.take_reply_due(conversation.id) or requested:
            stream_turn(service, conversation.id, settings, outbox)


main()
