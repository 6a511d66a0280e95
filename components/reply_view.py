"""Streaming one assistant turn into the page: text as it arrives, tool calls as chips. When the stream
ends (complete, error, cut) the page reruns and draws the turn's final state with its actions; after a
Stop the page script asks for that rerun (components/assets/portal.js)."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from portal.chat_service import ChatService, PreparedReply, ToolStep
from portal.chat_settings import ChatSettings
from portal.outbox import Outbox
from portal.reply_stream import INTERRUPTED, STOPPED
from portal.safe_markdown import neutralize_links, safe_stream
from portal.stream_pacing import paced
from storage.errors import DatabaseUnavailable

from . import resources
from .chrome import screen_reader_text
from .message_view import tool_chip

PAGE_GONE_GRACE_SECONDS = 0.2  # a closed tab stops the script a moment before its session is dropped
# The rerun that draws a reply's final state clears what this run queued for the browser and has not
# sent yet. Streamlit sends that queue every 5 ms; a reply that streams in a few milliseconds (a short
# or cached answer) would otherwise show only when the rerun has drawn the whole page. So the run
# waits a few flush cycles first, as Streamlit's own st.switch_page does before its rerun.
FLUSH_WAIT_SECONDS = 0.02


def page_closed(grace_seconds: float = PAGE_GONE_GRACE_SECONDS) -> bool:
    """True when this run's browser tab went away (closed or navigated off) rather than pressing Stop.

    Both stop the script the same way; a closed tab's session leaves the runtime's active sessions
    right after (streamlit/runtime/websocket_session_manager.py: disconnect_session)."""
    from streamlit.runtime import Runtime, exists
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not exists():
        return False
    runtime = Runtime.instance()
    deadline = time.monotonic() + grace_seconds
    while True:
        if not runtime.is_active_session(ctx.session_id):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


THINKING_REFRESH_SECONDS = 0.1  # how often the live Thinking block is redrawn while reasoning streams


class ThinkingBlock:
    """The live "Thinking" block of the reply being streamed: open while the model reasons, collapsed
    (with the same text) once the answer starts, so the answer is what the eye lands on."""

    def __init__(self) -> None:
        self._slot: DeltaGenerator | None = None
        self._parts: list[str] = []
        self._drawn_at = 0.0

    def start(self) -> None:
        """A new model call in the turn: its thinking goes in a fresh block above its text."""
        self._slot = st.empty()
        self._parts = []

    def add(self, text: str) -> None:
        self._parts.append(text)
        now = time.monotonic()
        if now - self._drawn_at >= THINKING_REFRESH_SECONDS:
            self._drawn_at = now
            self._draw(expanded=True)

    def settle(self) -> None:
        if self._parts:
            self._draw(expanded=False)

    def _draw(self, expanded: bool) -> None:
        if self._slot is None:
            return
        label = "Thinking…" if expanded else "Thinking"
        with self._slot.container(), st.expander(label, expanded=expanded, icon=":material/psychology:"):
            st.markdown(neutralize_links("".join(self._parts)))


def _seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"


def stream_turn(service: ChatService, conversation_id: str, settings: ChatSettings, outbox: Outbox) -> None:
    """Stream the reply (and the tool loop); the finally block keeps partial text on stop.

    If the database is away before the reply's row exists, nothing is requested and the reply stays
    due (DatabaseUnavailable goes up to the page); a reply that finishes while it is away waits in
    the outbox.
    """
    max_retries = resources.get_settings().max_rate_limit_retries
    started = False
    with st.chat_message("assistant"):
        screen_reader_text("The model said:")
        notice = st.empty()

        def on_wait(seconds: float, attempt: int, error) -> None:
            notice.info(f"{error.headline}. Retrying in {_seconds(seconds)} (attempt {attempt} of {max_retries})…")

        thinking = ThinkingBlock()
        steps = service.turn(
            conversation_id, settings, on_wait=on_wait, max_retries=max_retries, on_unsaved=outbox.queue_reply, on_reasoning=thinking.add
        )
        try:
            for step in steps:
                started = True
                _show_step(step, thinking)
                notice.empty()
        except DatabaseUnavailable:
            if not started:
                outbox.want_reply(conversation_id)
            raise
    time.sleep(FLUSH_WAIT_SECONDS)
    st.rerun()


def _show_step(step: PreparedReply | ToolStep, thinking: ThinkingBlock) -> None:
    if isinstance(step, ToolStep):
        with st.container(horizontal=True, gap="small"):
            for result in step.results:
                tool_chip(result.name, result.arguments, result.content, result.ok, result.duration_ms)
        return
    if step.context.truncated:
        st.caption(
            f"The conversation is longer than the context budget: only the latest {step.context.history_kept} "
            "messages are sent (the system prompt is always kept)."
        )
    thinking.start()

    def answer():
        settled = False
        for text in paced(step.stream):
            if not settled:
                thinking.settle()  # the answer begins: fold the thinking away
                settled = True
            yield text
        thinking.settle()

    try:
        st.write_stream(safe_stream(answer()))
    finally:
        # Stop, or a closed tab, lands here: the partial text is saved as "stopped" or "interrupted".
        if step.stream.outcome is None:
            step.stream.close(INTERRUPTED if page_closed() else STOPPED)
