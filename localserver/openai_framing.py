"""Chat Completions bodies and SSE chunks as the OpenAI API sends them (see the recordings in tests/fixtures).

Differences from the Azure AI Model Inference framing (`framing.py`): every chunk and body carries
`service_tier` and `system_fingerprint`; choices carry `logprobs`; messages carry `refusal` and
`annotations`; usage has `prompt_tokens_details` and `completion_tokens_details` (with
`reasoning_tokens`). In a stream the finish chunk has an empty delta, and usage comes only when
`stream_options.include_usage` asks for it: then every chunk has `usage: null` and one last chunk
has `choices: []` and the usage, before `data: [DONE]`. A reasoning model's thinking streams as
`reasoning_content` deltas before the answer, as DeepSeek-R1 sends it on Foundry v1.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .chat_model import ChatPlan
from .framing import ARGUMENT_PIECE_CHARS, new_completion_id, sse_event

SYSTEM_FINGERPRINT = "fp_localserver"


def usage_body(prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _plans_usage(plans: Sequence[ChatPlan]) -> dict[str, Any]:
    return usage_body(
        plans[0].prompt_tokens, sum(p.completion_tokens for p in plans), sum(p.reasoning_tokens for p in plans)
    )


def _logprob(token: str) -> float:
    """A stable, plausible log probability for a token (the local model has no distribution)."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=2).digest()
    return -round(int.from_bytes(digest, "little") / 65535 * 2.5, 4)


def _token_logprobs(chunks: Sequence[str], top: int) -> list[dict[str, Any]]:
    entries = []
    for chunk in chunks:
        entry: dict[str, Any] = {"token": chunk, "logprob": _logprob(chunk), "bytes": list(chunk.encode("utf-8"))}
        entry["top_logprobs"] = [{"token": chunk, "logprob": entry["logprob"], "bytes": entry["bytes"]}][:top]
        entries.append(entry)
    return entries


def _tool_calls(plan: ChatPlan) -> list[dict[str, Any]]:
    return [
        {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        for call in plan.tool_calls
    ]


def _opening(index: int, call: Any) -> dict[str, Any]:
    return {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}


def completion_body(plans: Sequence[ChatPlan], model: str, *, logprobs: bool = False, top_logprobs: int = 0) -> dict[str, Any]:
    choices = []
    for index, plan in enumerate(plans):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if plan.tool_calls else plan.content,
            "refusal": None,
            "annotations": [],
        }
        if plan.reasoning_chunks:
            message["reasoning_content"] = plan.reasoning
        if plan.tool_calls:
            message["tool_calls"] = _tool_calls(plan)
        choice: dict[str, Any] = {"index": index, "message": message, "finish_reason": plan.finish_reason}
        if logprobs:  # absent unless asked for (chat_completions_structured_output.json)
            choice["logprobs"] = {"content": _token_logprobs(plan.chunks, top_logprobs), "refusal": None}
        choices.append(choice)
    return {
        "id": new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": _plans_usage(plans),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def stream_events(
    plans: Sequence[ChatPlan],
    model: str,
    *,
    include_usage: bool = False,
    logprobs: bool = False,
    top_logprobs: int = 0,
    with_finish: bool = True,
) -> Iterator[tuple[bytes, bool]]:
    """Yield (event, is_token) pairs for every choice in turn; the caller paces tokens and ends with [DONE]."""
    completion_id = new_completion_id()
    created = int(time.time())

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None, chunk_logprobs: Any = None) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": index, "delta": delta, "logprobs": chunk_logprobs, "finish_reason": finish_reason}],
        }
        if include_usage:
            payload["usage"] = None
        return sse_event(payload)

    for index, plan in enumerate(plans):
        calls_only = bool(plan.tool_calls) and not plan.chunks and not plan.reasoning_chunks
        first: dict[str, Any] = {"role": "assistant", "content": None if calls_only else "", "refusal": None}
        if calls_only:  # the API opens the first call in the role chunk (see the streaming tool-call recording)
            first = {"role": "assistant", "content": None, "tool_calls": [_opening(0, plan.tool_calls[0])], "refusal": None}
        yield chunk(index, first), False
        for piece in plan.reasoning_chunks:
            yield chunk(index, {"reasoning_content": piece}), True
        for text in plan.chunks:
            piece_logprobs = {"content": _token_logprobs([text], top_logprobs), "refusal": None} if logprobs else None
            yield chunk(index, {"content": text}, chunk_logprobs=piece_logprobs), True
        for call_index, call in enumerate(plan.tool_calls):
            if not (calls_only and call_index == 0):
                yield chunk(index, {"tool_calls": [_opening(call_index, call)]}), False
            for start in range(0, len(call.arguments), ARGUMENT_PIECE_CHARS):
                piece = call.arguments[start : start + ARGUMENT_PIECE_CHARS]
                yield chunk(index, {"tool_calls": [{"index": call_index, "function": {"arguments": piece}}]}), True
        if with_finish:
            yield chunk(index, {}, plan.finish_reason), False
    if with_finish and include_usage:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [],
            "usage": _plans_usage(plans),
        }
        yield sse_event(payload), False
