"""Turning a planned reply into the JSON body or the SSE stream the SDK parses.

SSE rules as the SDK's parser reads them: each event is exactly `data: <one-line JSON>\\n\\n` (LF only, no comments,
no `event:` lines), one flush per event, usage on the last chunk with the finish_reason, then
`data: [DONE]\\n\\n`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from .chat_model import ChatPlan

ARGUMENT_PIECE_CHARS = 12
DONE_EVENT = b"data: [DONE]\n\n"


def _usage(plan: ChatPlan) -> dict[str, int]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "total_tokens": plan.prompt_tokens + plan.completion_tokens,
    }


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


THINK_OPEN, THINK_CLOSE = "<think>\n", "\n</think>\n\n"


def content_chunks(plan: ChatPlan) -> list[str]:
    """The content as the Azure AI Model Inference API carries it: a reasoning model's thinking comes
    first, inside `<think>...</think>` (as DeepSeek-R1 answers on Foundry `/models`)."""
    if not plan.reasoning_chunks:
        return plan.chunks
    return [THINK_OPEN, *plan.reasoning_chunks, THINK_CLOSE, *plan.chunks]


def completion_body(plan: ChatPlan, model: str) -> dict[str, Any]:
    content = "".join(content_chunks(plan))
    message: dict[str, Any] = {"role": "assistant", "content": content if not plan.tool_calls else None}
    if plan.tool_calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in plan.tool_calls
        ]
    return {
        "id": new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": plan.finish_reason, "message": message}],
        "usage": _usage(plan),
    }


def sse_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode("utf-8") + b"\n\n"


def stream_events(plan: ChatPlan, model: str, *, with_finish: bool = True) -> Iterator[tuple[bytes, bool]]:
    """Yield (event, is_content_token) pairs; the caller paces the content tokens and ends with [DONE]."""
    completion_id = new_completion_id()
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, usage: bool = False) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if usage:
            payload["usage"] = _usage(plan)
        return sse_event(payload)

    yield chunk({"role": "assistant", "content": ""}), False
    for text in content_chunks(plan):
        yield chunk({"content": text}), True
    for index, call in enumerate(plan.tool_calls):
        first = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield chunk({"tool_calls": [first]}), False
        for start in range(0, len(call.arguments), ARGUMENT_PIECE_CHARS):
            piece = call.arguments[start : start + ARGUMENT_PIECE_CHARS]
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), True
    if with_finish:
        yield chunk({"content": ""}, plan.finish_reason, usage=True), False
