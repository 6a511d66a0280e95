"""How one stored message looks: text as markdown (never raw HTML), metrics, and a status marker."""

from __future__ import annotations

import streamlit as st

from storage.records import MessageRecord

STATUS_MARKERS = {
    "stopped": ("⏹ Stopped by you; the partial reply is kept.", "warning"),
    "error": ("The request failed.", "error"),
    "incomplete": ("⚠ Incomplete: the reply ended before the model finished.", "warning"),
    "streaming": ("Still streaming…", "info"),
}


def metrics_line(message: MessageRecord) -> str:
    pieces = []
    if message.model:
        pieces.append(f"`{message.model}`")
    if message.prompt_tokens is not None or message.completion_tokens is not None:
        pieces.append(f"{message.prompt_tokens or 0} prompt + {message.completion_tokens or 0} completion tokens")
    if message.time_to_first_token_ms is not None:
        pieces.append(f"first token {message.time_to_first_token_ms:,.0f} ms")
    if message.total_time_ms is not None:
        pieces.append(f"total {message.total_time_ms / 1000:,.2f} s")
    if message.completion_tokens and message.total_time_ms and message.time_to_first_token_ms is not None:
        generating = (message.total_time_ms - message.time_to_first_token_ms) / 1000
        if generating > 0:
            pieces.append(f"{message.completion_tokens / generating:,.1f} tokens/s")
    if message.finish_reason:
        pieces.append(f"finish: {message.finish_reason}")
    return " · ".join(pieces)


def render_message(message: MessageRecord) -> None:
    role = message.role if message.role in ("user", "assistant") else "assistant"
    with st.chat_message(role):
        if message.content:
            st.markdown(message.content)  # unsafe_allow_html stays False: model output is never HTML
        attachments = (message.parts or {}).get("attachments") if isinstance(message.parts, dict) else None
        for attachment in attachments or []:
            url = (attachment.get("image_url") or {}).get("url")
            if url and url.startswith("data:image/"):
                st.image(url, width=240)
        if message.status in STATUS_MARKERS:
            text, level = STATUS_MARKERS[message.status]
            detail = f" {message.error}" if message.error else ""
            getattr(st, level)(text + detail)
        if message.role == "assistant":
            line = metrics_line(message)
            if line:
                st.caption(line)
