"""Streaming one assistant turn into the page: text as it arrives, tool calls as collapsible blocks."""

from __future__ import annotations

import time

import streamlit as st

from portal.chat_service import ChatService, PreparedReply, ToolStep
from portal.chat_settings import ChatSettings
from portal.outbox import DatabaseUnavailable, Outbox
from portal.safe_markdown import neutralize_links, safe_stream
from portal.stream_pacing import paced
from portal.tools import ToolResult

from . import resources


def tool_block(result: ToolResult) -> None:
    icon = ":material/build:" if result.ok else ":material/error:"
    with st.expander(f"{result.name}({result.arguments}) · {result.duration_ms:,.0f} ms", icon=icon):
        st.caption("Arguments")
        st.code(result.arguments, language="json")
        st.caption("Result" if result.ok else "Error returned to the model")
        st.code(result.content, language="json")


THINKING_REFRESH_SECONDS = 0.1  # how often the live Thinking block is redrawn while reasoning streams


class ThinkingBlock:
    """The live "Thinking" block of the reply being streamed: open while the model reasons, collapsed
    (with the same text) once the answer starts, so the answer is what the eye lands on."""

    def __init__(self) -> None:
        self._slot = None
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
        notice = st.empty()

        def on_wait(seconds: float, attempt: int, error) -> None:
            notice.info(f"{error.message}. Retrying in {_seconds(seconds)} (attempt {attempt} of {max_retries})…")

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
    st.rerun()


def _show_step(step: PreparedReply | ToolStep, thinking: ThinkingBlock) -> None:
    if isinstance(step, ToolStep):
        for result in step.results:
            tool_block(result)
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
        step.stream.close()  # a stop or closed tab lands here: the partial text is saved as "stopped"
