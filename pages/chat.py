"""Chat: streaming replies with persisted history. UI only; the logic lives in portal.chat_service."""

import streamlit as st

from components import resources, state
from components.chat_actions import conversation_actions, import_box, take_pending_reply
from components.conversation_sidebar import conversation_sidebar, open_conversation, requested_conversation_id
from components.message_view import render_message
from components.reply_view import stream_turn
from components.router_guard import require_router
from components.services import chat_service
from components.settings_form import settings_form
from components.uploads import prepare_uploads
from portal.attachments import AUDIO_TYPES, IMAGE_TYPES, MAX_UPLOAD_BYTES
from portal.chat_service import EmptyMessage
from portal.chat_settings import ChatSettings

TAIL_MESSAGES = 40
MORE_STEP = 50


def main() -> None:
    require_router()
    service = chat_service()
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

    st.title(conversation.title if conversation else "Chat")
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

    submitted = st.chat_input(
        "Message the model (try /long 300 or /fault 500 on the offline demo)",
        submit_mode="stop",
        accept_file="multiple",
        file_type=list(IMAGE_TYPES + AUDIO_TYPES),
        max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
    )
    if submitted is not None:
        attachments = prepare_uploads(submitted.files, settings.image_detail)
        try:
            user_message = service.add_user_message(conversation.id if conversation else None, submitted.text, settings, attachments)
        except EmptyMessage as exc:
            st.warning(str(exc))
            return
        open_conversation(user_message.conversation_id)
        render_message(user_message)
        stream_turn(service, user_message.conversation_id, settings)
    elif take_pending_reply(conversation.id if conversation else None):
        stream_turn(service, conversation.id, settings)


main()
