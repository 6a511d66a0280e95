"""The chat page's body (app_pages/chat.py draws a new chat's message box first, then calls `show_page`):
the conversation list, the header with its settings, the conversation's messages, the message box and
the reply. UI only; the logic lives in portal.chat_service.

Every sent message goes through the session's outbox (portal/outbox.py): it is stored first, and only
then answered. While the database is unreachable the page shows that instead of a stack trace, keeps
what was sent as pending, and stores and answers it when the database is back.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.markdown_text import escape_markdown
from portal.outbox import Outbox
from portal.turns import Turn, group_turns
from storage.database import database_errors
from storage.errors import DatabaseUnavailable
from storage.records import ConversationRecord

from . import chat_actions, compare_view, resources, state
from .chat_header import chat_header
from .composer import composer, read_in_page_run, wait_for_stopped_reply
from .conversation_nav import draft_folder, linked_message, open_conversation, requested_conversation_id
from .conversation_sidebar import conversation_sidebar
from .message_box import MessageBox
from .message_view import TurnActions, render_turn
from .outbox_view import database_unreachable
from .reply_view import stream_turn
from .services import chat_service

TAIL_MESSAGES = 40
MORE_STEP = 50
NEWEST_FIRST = 6  # turns drawn before the older ones of the page (more than a screen's worth)


def open_service() -> ChatService:
    with database_errors():  # the first use creates and migrates the database
        return chat_service()


def ping_database() -> None:
    open_service().ping()


def show_page(box: MessageBox) -> None:
    """Everything below the message box, which the page has drawn already when no conversation is open."""
    outbox = Outbox(st.session_state)
    try:
        show_chat(outbox, box)
    except DatabaseUnavailable as exc:  # a message sent while the database is away is kept, as pending
        read_in_page_run(box, outbox, requested_conversation_id(), ChatSettings().image_detail)
        database_unreachable(outbox, exc, ping_database)


def _stored_settings(conversation: ConversationRecord | None) -> ChatSettings:
    if conversation is not None:
        return ChatSettings.from_dict(conversation.settings)
    return ChatSettings.from_dict(st.session_state.get(state.DRAFT_SETTINGS))


def show_chat(outbox: Outbox, box: MessageBox) -> None:
    wait_for_stopped_reply()  # a reply this session was streaming, stopped by the click that started this run
    conversation_id = requested_conversation_id()
    if conversation_id is None:
        # A new chat has no conversation above to keep, so its box is read in the page's run (the page
        # drew it before importing this module), before the database is opened.
        read_in_page_run(box, outbox, None, _stored_settings(None).image_detail)
    service = open_service()
    conversation = service.get_conversation(conversation_id)
    if conversation_id and conversation is None:
        st.warning("That conversation does not exist or is not yours. Start a new chat or pick one from the sidebar.")
        open_conversation(None)
    conversation_sidebar(service, conversation)
    chat_actions.import_box(service)
    chat_actions.conversation_dialogs(service, conversation)
    stored = _stored_settings(conversation)
    settings = chat_header(service, conversation, stored, resources.current_connection())
    if settings != stored:
        if conversation is not None:
            service.save_settings(conversation.id, settings)
        else:
            st.session_state[state.DRAFT_SETTINGS] = settings.to_dict()
    # The fragment answers in an open conversation; compare mode redraws the page to stream its
    # columns, and a new chat's first message opens its conversation (a new chat's box was read above).
    in_fragment = conversation is not None and not compare_view.wants_round(settings)
    if not in_fragment:
        read_in_page_run(box, outbox, conversation.id if conversation else None, settings.image_detail)
    stored_in = service.flush_outbox(outbox, settings)  # pending messages are stored before any request
    if stored_in is not None and (conversation is None or stored_in != conversation.id):
        was_draft = conversation is None  # the draft settings were just stored with the new conversation
        open_conversation(stored_in)
        st.session_state.pop(state.DRAFT_SETTINGS, None)
        conversation = service.get_conversation(stored_in)
        if not was_draft and conversation is not None:
            settings = ChatSettings.from_dict(conversation.settings)

    if conversation is None:
        folder = service.get_folder(draft_folder())
        if folder is not None:
            st.caption(
                f"A new chat in the folder “{escape_markdown(folder.name)}”, with its default system prompt and model "
                "(see Settings). Ask anything below."
            )
        else:
            st.caption("Ask anything below. Every conversation is saved, with its settings, in the list on the left.")
        return
    service.recover_interrupted(conversation.id)
    running = compare_view.active_round(conversation.id)  # compare mode: this session's targets still answering
    reply_due = outbox.reply_due(conversation.id) or chat_actions.reply_requested(conversation.id)
    target = linked_message(service, conversation.id, TAIL_MESSAGES)
    until = running.user_message_id if running is not None else None
    draw_older = show_messages(service, conversation, editable=not reply_due and running is None, target=target, until=until)
    if in_fragment:
        composer(box, outbox, service, conversation, settings)
    draw_older()  # before any reply streams: a streaming run sends nothing else until it ends
    if running is not None:
        compare_view.stream_round(service, running, outbox)
    elif reply_due:
        outbox.take_reply_due(conversation.id)
        chat_actions.take_pending_reply(conversation.id)
        if not (compare_view.wants_round(settings) and compare_view.start_round(service, conversation.id, settings, outbox)):
            stream_turn(service, conversation.id, settings, outbox)


def show_messages(
    service: ChatService, conversation: ConversationRecord, editable: bool, target: int | None = None, until: int | None = None
) -> Callable[[], None]:
    """The shown branch's latest messages as turns, each with its actions (none while a reply is due);
    the turn holding message `target` (opened from a link) is marked and scrolled to. A compare round
    shows as columns: a running one's (its user message `until`) are drawn by the caller, a stored one
    that has no pick yet after the turns.

    Only the newest `NEWEST_FIRST` turns are drawn here. The older ones go into a slot above them,
    drawn by the returned function, which the caller calls once the message box is drawn: the
    browser draws elements in the order they are sent, and a chat opens scrolled to its end, so the
    reader sees the conversation's end sooner and the older turns arrive out of view (benchmark 3)."""
    shown_key = f"{state.SHOW_ALL_FROM}_{conversation.id}"
    limit = st.session_state.get(shown_key, TAIL_MESSAGES)
    messages, total = service.recent_messages(conversation.id, limit)
    if total > len(messages) and st.button(
        f"Show earlier messages ({total - len(messages)} hidden)", icon=":material/expand_less:"
    ):
        st.session_state[shown_key] = limit + MORE_STEP
        st.rerun()
    turns, compare_round = compare_view.split_round(group_turns(messages), until)
    actions = None
    if editable:
        cid = conversation.id
        actions = TurnActions(
            siblings=service.siblings(cid, [turn.first for turn in turns]),
            on_edit=chat_actions.start_edit,
            on_regenerate=lambda reply: chat_actions.regenerate(service, cid, reply),
            on_switch=lambda message_id: chat_actions.switch_branch(service, cid, message_id),
            edit_form=lambda message: chat_actions.edit_form(service, cid, message),
            editing=st.session_state.get(state.EDITING),
        )
    older, newest = turns[:-NEWEST_FIRST], turns[-NEWEST_FIRST:]
    older_slot = st.container() if older else None

    def draw(some: list[Turn]) -> None:
        for turn in some:
            render_turn(turn, actions, target=target is not None and any(m.id == target for m in turn.messages))

    draw(newest)
    if compare_round is not None:
        compare_view.stored_round(service, conversation.id, compare_round, editable)

    def draw_older() -> None:
        if older_slot is not None:
            with older_slot:
                draw(older)

    return draw_older
