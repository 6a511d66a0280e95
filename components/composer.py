"""The message box under the chat, and what a sent message does (the chat page: app_pages/chat.py and
components/chat_page.py).

In a chat that answers with one model the box sits in a fragment (`composer`): sending reruns only the
fragment, which stores the message, draws it under the conversation already on the page and streams
the reply there. The conversation above is not redrawn, so the first words show about as soon as in
Streamlit's tutorial chat app however long the conversation is (benchmark 3), and the messages above
keep their actions. The page's next full run, asked for when the reply ends (or at once when
something needs the whole page), draws the final state. A new chat, compare mode and a page whose
database is away read the box in the page's own run instead (`read_in_page_run`): the
page is redrawn then anyway (a new chat's first message opens its conversation), and Streamlit's
Stop button stays with a submission only within the kind of run it was made in. The box itself is
components/message_box.py: the chat page draws a new chat's box first, before it imports and opens
the database, so that on a first start it can be typed in meanwhile (benchmark 6).
"""

from __future__ import annotations

import threading
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.outbox import Outbox
from portal.turns import group_turns
from storage.errors import DatabaseUnavailable
from storage.records import ConversationRecord

from . import state
from .conversation_nav import draft_folder
from .message_box import MessageBox
from .message_view import render_turn
from .outbox_view import Submission
from .reply_view import stream_turn

CLOSING_WAIT_SECONDS = 2.0

# Per browser session: set once the reply this session's fragment streams has its final state stored.
# A click elsewhere on the page (an action above, the sidebar) stops the fragment's run and starts the
# page's run at once, while the stopped run is still storing what arrived; the page's run waits for
# that, so it draws the reply as stopped, with its text, rather than as still streaming.
_replies: dict[str, threading.Event] = {}
_replies_lock = threading.Lock()


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def wait_for_stopped_reply(timeout: float = CLOSING_WAIT_SECONDS) -> None:
    """Called first by the page's run: returns once this session's streamed reply (if any) is stored."""
    with _replies_lock:
        stored = _replies.get(_session_id())
    if stored is not None:
        stored.wait(timeout)


def _stream_reply(service: ChatService, conversation_id: str, settings: ChatSettings, outbox: Outbox) -> None:
    session_id = _session_id()
    stored = threading.Event()
    with _replies_lock:
        _replies[session_id] = stored
    try:
        stream_turn(service, conversation_id, settings, outbox)
    finally:  # after stream_turn's own finally has stored the reply's final state
        stored.set()
        with _replies_lock:
            if _replies.get(session_id) is stored:
                del _replies[session_id]


def read_in_page_run(box: MessageBox, outbox: Outbox, conversation_id: str | None, image_detail: str) -> None:
    """Draw the box in this run, unless the page has already, and queue what it sent."""
    if not box.drawn:
        box.draw()
    submitted = box.take()
    if submitted is not None:
        _queue(submitted, outbox, conversation_id, image_detail)


def _queue(submitted: Any, outbox: Outbox, conversation_id: str | None, image_detail: str) -> bool:
    """Queue a sent message (a new chat's goes in the draft's folder); False when there was nothing to send."""
    st.session_state.pop(state.TARGET_MESSAGE, None)  # a message opened from a link is no longer marked
    return Submission(submitted).queue(outbox, conversation_id, image_detail, None if conversation_id else draft_folder())


@st.fragment
def composer(box: MessageBox, outbox: Outbox, service: ChatService, conversation: ConversationRecord, settings: ChatSettings) -> None:
    """The message box of an open conversation, and a sent message stored, drawn and answered in this
    fragment's own run. The page's next full run (asked for when the reply ends, or at once when
    something needs the whole page: another conversation's pending messages, the database away)
    draws the final state."""
    box.draw()
    submitted = box.take()
    if submitted is None or not _queue(submitted, outbox, conversation.id, settings.image_detail):
        return  # nothing sent, or nothing to send: the warning says why
    try:
        stored_in = service.flush_outbox(outbox, settings)  # stored before any request
        if stored_in != conversation.id or not outbox.reply_due(stored_in):
            st.rerun()
        messages, _ = service.recent_messages(conversation.id, 1)
        for turn in group_turns(messages):
            render_turn(turn, None)
        outbox.take_reply_due(conversation.id)
        _stream_reply(service, conversation.id, settings, outbox)
    except DatabaseUnavailable:
        st.rerun()  # the page's run shows the database notice, with what waits in the outbox
