"""Streaming one assistant turn into the page: text as it arrives, tool calls as collapsible blocks."""

from __future__ import annotations

import streamlit as st

from portal.chat_service import ChatService, ToolStep
from portal.chat_settings import ChatSettings
from portal.tools import ToolResult

from . import resources


def tool_block(result: ToolResult) -> None:
    icon = ":material/build:" if result.ok else ":material/error:"
    with st.expander(f"{result.name}({result.arguments}) · {result.duration_ms:,.0f} ms", icon=icon):
        st.caption("Arguments")
        st.code(result.arguments, language="json")
        st.caption("Result" if result.ok else "Error returned to the model")
        st.code(result.content, language="json")


def stream_turn(service: ChatService, conversation_id: str, settings: ChatSettings) -> None:
    """Stream the reply (and the tool loop); the finally block keeps partial text on stop."""
    max_retries = resources.get_settings().max_rate_limit_retries
    with st.chat_message("assistant"):
        notice = st.empty()

        def on_wait(seconds: float, attempt: int, error) -> None:
            notice.info(f"{error.message}. Retrying in {seconds:.0f} s (attempt {attempt} of {max_retries})…")

        for step in service.turn(conversation_id, settings, on_wait=on_wait, max_retries=max_retries):
            if isinstance(step, ToolStep):
                for result in step.results:
                    tool_block(result)
                continue
            if step.context.truncated:
                st.caption(
                    f"The conversation is longer than the context budget: only the latest {step.context.history_kept} "
                    "messages are sent (the system prompt is always kept)."
                )
            try:
                st.write_stream(step.stream)
            finally:
                step.stream.close()  # a stop or closed tab lands here: the partial text is saved as "stopped"
            notice.empty()
    st.rerun()
