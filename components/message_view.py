"""How one stored message looks: text as markdown (never raw HTML), tool calls, metrics, a status marker."""

from __future__ import annotations

import json

import streamlit as st

from portal.response_formats import check_reply
from portal.safe_markdown import neutralize_links
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
        tokens = f"{message.prompt_tokens or 0} prompt + {message.completion_tokens or 0} completion tokens"
        reasoning_tokens = _parts(message).get("reasoning_tokens")
        if reasoning_tokens:
            tokens += f" ({reasoning_tokens} reasoning)"
        pieces.append(tokens)
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


def _parts(message: MessageRecord) -> dict:
    return message.parts if isinstance(message.parts, dict) else {}


def _attachments(message: MessageRecord) -> None:
    for attachment in _parts(message).get("attachments") or []:
        url = (attachment.get("image_url") or {}).get("url")
        if url and url.startswith("data:image/"):
            st.image(url, width=240, caption=attachment.get("name"))
        elif attachment.get("type") == "input_audio":
            st.caption(f":material/audio_file: {attachment.get('name', 'audio')}")


def _structured(message: MessageRecord) -> bool:
    """Render a JSON reply formatted and checked against its schema; False when not structured."""
    response_format = (message.params or {}).get("response_format")
    check = check_reply(message.content, response_format) if message.status == "complete" else None
    if check is None:
        return False
    if not check.valid_json:
        st.code(message.content, language="json")
        st.warning("The reply is not valid JSON.")
        return True
    st.code(json.dumps(check.parsed, indent=2, ensure_ascii=False), language="json")
    if check.schema_errors:
        st.warning("The reply does not match the schema: " + "; ".join(check.schema_errors[:5]))
    elif response_format.get("type") == "json_schema":
        st.caption(":material/check_circle: matches the schema")
    return True


def _tool_result(message: MessageRecord) -> None:
    parts = _parts(message)
    icon = ":material/build:" if parts.get("ok", True) else ":material/error:"
    duration = parts.get("duration_ms")
    label = f"{parts.get('name', 'tool')}({parts.get('arguments', '')})" + (f" · {duration:,.0f} ms" if duration is not None else "")
    with st.expander(label, icon=icon):
        st.caption("Arguments")
        st.code(parts.get("arguments", ""), language="json")
        st.caption("Result" if parts.get("ok", True) else "Error returned to the model")
        st.code(message.content, language="json")


def render_message(message: MessageRecord) -> None:
    role = "user" if message.role == "user" else "assistant"
    with st.chat_message(role):
        if message.role == "tool":
            _tool_result(message)
            return
        reasoning = _parts(message).get("reasoning")
        if reasoning:
            tokens = _parts(message).get("reasoning_tokens")
            label = f"Thinking · {tokens} tokens" if tokens else "Thinking"
            with st.expander(label, icon=":material/psychology:"):
                st.markdown(neutralize_links(str(reasoning)))
        if message.content and not _structured(message):
            st.markdown(neutralize_links(message.content))  # never HTML; only http(s)/mailto links stay clickable
        calls = _parts(message).get("tool_calls") or []
        if calls:
            st.caption("Calling " + ", ".join(f"`{c.get('name')}`" for c in calls))
        _attachments(message)
        if message.status in STATUS_MARKERS:
            text, level = STATUS_MARKERS[message.status]
            detail = f" {message.error}" if message.error else ""
            getattr(st, level)(text + detail)
        if message.role == "assistant":
            sent = (message.params or {}).get("context_messages_sent")
            if sent is not None:
                st.caption(f"Only the latest {sent} messages were sent: the conversation exceeds the context budget.")
            line = metrics_line(message)
            if line:
                st.caption(line)
