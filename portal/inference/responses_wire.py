"""The Responses API wire, without the SDK: request parameters from the app's values, and the app's
chat events from the API's stream events. `openai_backend` sends and receives; this module only
translates (it reads the SDK's event objects by attribute, and imports nothing of the SDK).

Requests: the system prompt goes in `instructions` (resent every time: a stored response does not
carry it over); messages become input items (`message`, `function_call`, `function_call_output`);
the sampling parameters go under their Responses names (`SamplingParameter.responses_name`: `max_tokens`
becomes `max_output_tokens`), `response_format` becomes `text.format`, tools become
Responses function tools (`strict: false`: the app's tool schemas do not all meet strict mode);
`reasoning.effort` and `reasoning.summary` go out only when chosen. Seed and stop sequences have no
Responses equivalent and are not sent.

Stream: `response.output_text.delta` is text; `response.reasoning_summary_text.delta` (and
`response.reasoning_text.delta`) is reasoning; a `function_call` item opened by
`response.output_item.added` and filled by `response.function_call_arguments.delta` (which names the
item, not the call) is a tool call; `response.completed` / `response.incomplete` end it with usage,
and `response.failed` or an `error` event is an error. Statuses map to the app's: completed is a
`stop` (or `tool_calls`) finish, incomplete a `length` (or `content_filter`) finish, failed an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ErrorKind, InferenceError
from .types import (
    WIRE_RESPONSES,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ReasoningDelta,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    Usage,
)

INCOMPLETE_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}
PREVIOUS_RESPONSE_GONE = "previous_response_not_found"


def input_items(messages: Sequence[ChatMessage]) -> tuple[str | None, list[dict[str, Any]]]:
    """(instructions, input items): a leading system message becomes `instructions`; a developer one
    stays a `developer` message (what reasoning models expect)."""
    instructions = None
    items: list[dict[str, Any]] = []
    for message in messages:
        if message.role in ("system", "developer"):
            if message.role == "system" and instructions is None and not items:
                instructions = message.content
            else:
                items.append({"role": message.role, "content": message.content})
        elif message.role == "user":
            parts: list[dict[str, Any]] = [{"type": "input_text", "text": message.content}] if message.content else []
            for part in message.parts:
                if part.get("type") == "image_url":
                    image = part.get("image_url") or {}
                    parts.append({"type": "input_image", "image_url": image.get("url"), "detail": image.get("detail") or "auto"})
            items.append({"role": "user", "content": parts if message.parts else message.content})
        elif message.role == "tool":
            items.append({"type": "function_call_output", "call_id": message.tool_call_id or "", "output": message.content})
        elif message.role == "assistant":
            if message.content:
                items.append({"role": "assistant", "content": message.content})
            for call in message.tool_calls:
                items.append({"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments})
    return instructions, items


def continuation(messages: Sequence[ChatMessage]) -> tuple[str | None, Sequence[ChatMessage]]:
    """With stored responses: the id of the last reply that has one, and the messages after it (what
    the stored response does not already hold). (None, all) when no reply has an id."""
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if message.role == "assistant" and message.response_id:
            return message.response_id, messages[position + 1 :]
    return None, messages


def request_params(
    model: str, messages: Sequence[ChatMessage], options: ChatOptions, *, store: bool, previous_response_id: str | None = None
) -> dict[str, Any]:
    """The request for `messages` (the whole history), or with `previous_response_id` for the messages
    after the reply that response produced (the system prompt is resent as `instructions` either way)."""
    if previous_response_id is None:
        instructions, items = input_items(messages)
    else:
        _, pending = continuation(messages)
        system = [m for m in messages[:1] if m.role in ("system", "developer")]
        instructions, items = input_items([*system, *pending])
    params: dict[str, Any] = {
        "model": model,
        "input": items,
        "instructions": instructions,
        "store": store,
        "previous_response_id": previous_response_id,
        **options.sampling_request(WIRE_RESPONSES),
    }
    reasoning = {k: v for k, v in (("effort", options.reasoning_effort), ("summary", options.reasoning_summary)) if v}
    if reasoning:
        params["reasoning"] = reasoning
    text_format = _text_format(options.response_format)
    if text_format is not None:
        params["text"] = {"format": text_format}
    if options.tools:
        params["tools"] = [
            {
                "type": "function",
                "name": tool["function"]["name"],
                "description": tool["function"].get("description"),
                "parameters": tool["function"].get("parameters") or {"type": "object", "properties": {}},
                "strict": False,
            }
            for tool in options.tools
        ]
        params["tool_choice"] = options.tool_choice
    return {k: v for k, v in params.items() if v is not None}


def _text_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        fmt = {"type": "json_schema", "name": spec.get("name") or "response", "schema": spec.get("schema"), "strict": bool(spec.get("strict"))}
        if spec.get("description"):
            fmt["description"] = spec["description"]
        return fmt
    if response_format.get("type") == "json_object":
        return {"type": "json_object"}
    return None


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    details = getattr(raw, "output_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    return Usage(int(raw.input_tokens or 0), int(raw.output_tokens or 0), int(reasoning) if reasoning is not None else None)


def _error_message(response: Any) -> str:
    error = getattr(response, "error", None)
    message = getattr(error, "message", None) if error is not None else None
    return str(message or "the response failed")


@dataclass
class StreamReader:
    """Turns one Responses stream into chat events; remembers the response id for `store`."""

    response_id: str | None = None
    _calls: dict[str, int] = field(default_factory=dict)  # function_call item id -> tool call index
    _summaries: set[tuple[int, int]] = field(default_factory=set)  # (output_index, summary_index) seen

    def events(self, stream: Iterable[Any]) -> Iterator[ChatEvent]:
        for event in stream:
            kind = event.type
            if kind == "response.output_text.delta":
                yield TextDelta(event.delta)
            elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
                key = (event.output_index, getattr(event, "summary_index", 0))
                if key not in self._summaries:
                    if self._summaries:
                        yield ReasoningDelta("\n\n")  # parts of a summary are paragraphs
                    self._summaries.add(key)
                yield ReasoningDelta(event.delta)
            elif kind == "response.output_item.added" and getattr(event.item, "type", None) == "function_call":
                index = len(self._calls)
                self._calls[event.item.id] = index
                yield ToolCallDelta(index=index, id=event.item.call_id, name=event.item.name, arguments=event.item.arguments or "")
            elif kind == "response.function_call_arguments.delta":
                yield ToolCallDelta(index=self._calls.get(event.item_id, 0), id=None, name=None, arguments=event.delta)
            elif kind == "response.created":
                self.response_id = event.response.id
            elif kind in ("response.completed", "response.incomplete"):
                yield self.end(event.response)
                return
            elif kind == "response.failed":
                raise InferenceError(
                    ErrorKind.SERVER,
                    "The model service reported the response as failed: " + _error_message(event.response),
                    detail="the response failed: " + _error_message(event.response),
                )
            elif kind == "error":
                said = getattr(event, "message", "") or "unknown"
                raise InferenceError(ErrorKind.SERVER, f"The model service reported an error: {said}", detail=said)

    def end(self, response: Any) -> StreamEnd:
        self.response_id = response.id
        if response.status == "incomplete":
            reason = getattr(getattr(response, "incomplete_details", None), "reason", None)
            finish = INCOMPLETE_FINISH.get(str(reason), str(reason or "length"))
        else:
            finish = "tool_calls" if any(getattr(item, "type", None) == "function_call" for item in response.output) else "stop"
        # The id is worth keeping only when the service keeps the response (store), for previous_response_id.
        stored = response.id if getattr(response, "store", False) else None
        return StreamEnd(finish_reason=finish, model=response.model, usage=_usage(response.usage), response_id=stored)
