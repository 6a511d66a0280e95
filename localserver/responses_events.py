"""The Responses API's event stream for one response, as the OpenAI API sends it.

`response.created` → `response.in_progress` → per output item `response.output_item.added`, its parts
and deltas (`reasoning_summary_part.added` / `reasoning_summary_text.delta` / `.done` / `part.done`,
`content_part.added` / `output_text.delta` / `.done` / `content_part.done`, or
`function_call_arguments.delta` / `.done`), `response.output_item.done` → `response.completed` (or
`response.incomplete`, or `response.failed`). Every event is `event: <type>` plus `data:` whose `type`
is the same name and whose `sequence_number` counts from 0; there is no `[DONE]`. Argument deltas
name the item (`item_id`), not the call (`call_id` is in `output_item.added` / `.done`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from .framing import ARGUMENT_PIECE_CHARS

_PIECE = re.compile(r"\s*\S+|\s+$")


def words(text: str) -> list[str]:
    """One delta per word (whitespace kept), so that "".join(pieces) == text."""
    return _PIECE.findall(text) or ([text] if text else [])


def frame(payload: dict[str, Any]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def _opened(item: dict[str, Any]) -> dict[str, Any]:
    """The item as `output_item.added` shows it: in progress, nothing in it yet."""
    opened = copy.deepcopy(item)
    if opened["type"] == "message":
        opened["status"], opened["content"] = "in_progress", []
    elif opened["type"] == "function_call":
        opened["status"], opened["arguments"] = "in_progress", ""
    elif opened["type"] == "reasoning":
        opened["summary"] = []
    return opened


def _item_events(index: int, item: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    """(payload without sequence_number, is_token) for one output item."""
    item_id = item["id"]
    yield {"type": "response.output_item.added", "output_index": index, "item": _opened(item)}, False
    if item["type"] == "reasoning":
        for summary_index, part in enumerate(item["summary"]):
            base = {"item_id": item_id, "output_index": index, "summary_index": summary_index}
            yield {"type": "response.reasoning_summary_part.added", **base, "part": {"type": "summary_text", "text": ""}}, False
            for piece in words(part["text"]):
                yield {"type": "response.reasoning_summary_text.delta", **base, "delta": piece}, True
            yield {"type": "response.reasoning_summary_text.done", **base, "text": part["text"]}, False
            yield {"type": "response.reasoning_summary_part.done", **base, "part": {"type": "summary_text", "text": part["text"]}}, False
    elif item["type"] == "message":
        part = item["content"][0]
        base = {"item_id": item_id, "output_index": index, "content_index": 0}
        yield {"type": "response.content_part.added", **base, "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}}, False
        for piece in words(part["text"]):
            yield {"type": "response.output_text.delta", **base, "delta": piece, "logprobs": []}, True
        yield {"type": "response.output_text.done", **base, "text": part["text"], "logprobs": []}, False
        yield {"type": "response.content_part.done", **base, "part": part}, False
    elif item["type"] == "function_call":
        arguments = item["arguments"]
        for start in range(0, len(arguments), ARGUMENT_PIECE_CHARS):
            delta = arguments[start : start + ARGUMENT_PIECE_CHARS]
            yield {"type": "response.function_call_arguments.delta", "item_id": item_id, "output_index": index, "delta": delta}, True
        yield {"type": "response.function_call_arguments.done", "item_id": item_id, "output_index": index, "arguments": arguments}, False
    yield {"type": "response.output_item.done", "output_index": index, "item": item}, False


def response_events(
    opening: dict[str, Any], final: dict[str, Any], *, with_end: bool = True, output: list[dict[str, Any]] | None = None
) -> list[tuple[dict[str, Any], bool]]:
    """Every event of a response, numbered: `opening` is the response while in progress, `final` as it
    ended. A failed response streams half of `output` (what it had written) before `response.failed`."""
    events: list[tuple[dict[str, Any], bool]] = [
        ({"type": "response.created", "response": opening}, False),
        ({"type": "response.in_progress", "response": opening}, False),
    ]
    items = output if final["status"] == "failed" and output is not None else final["output"]
    for index, item in enumerate(items):
        events.extend(_item_events(index, item))
    if final["status"] == "failed":
        deltas = [i for i, (payload, _) in enumerate(events) if payload["type"].endswith(".delta")]
        events = events[: deltas[len(deltas) // 2]] if deltas else events[:2]
    if with_end:
        terminal = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}[final["status"]]
        events.append(({"type": terminal, "response": final}, False))
    for number, (payload, _) in enumerate(events):
        payload["sequence_number"] = number
    return events
