"""The Responses API's shapes: input items to chat messages, and the response object with its output items.

Input items (`message` with `input_text`/`input_image`/`output_text` parts or a plain string,
`function_call`, `function_call_output`, `reasoning`, `item_reference`) become the chat messages the
local models plan from. The output is built the way the OpenAI API builds it (see the recordings in
tests/fixtures/openai-recordings): a `reasoning` item first for reasoning models (with summary parts
when `reasoning.summary` asks for them), then a `message` with one `output_text` part, or one
`function_call` item per call.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .chat_model import ChatPlan
from .openai_framing import usage_body
from .openai_protocol import openai_error

SUMMARY_KINDS = ("auto", "concise", "detailed")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}{uuid.uuid4().hex[:16]}"


# -- input --------------------------------------------------------------------------------------------


def _text_parts(content: Any, index: int) -> tuple[str, list[dict[str, Any]]]:
    """(text, extra chat parts) of a message's content: a string or a list of input/output parts."""
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise openai_error(400, f"Invalid type for 'input[{index}].content': expected a string or an array.", param=f"input[{index}].content", code="invalid_type")
    texts, extra = [], []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text", "summary_text", "refusal"):
            texts.append(str(part.get("text") or part.get("refusal") or ""))
        elif kind == "input_image":
            url = part.get("image_url") or ""
            extra.append({"type": "image_url", "image_url": {"url": url, "detail": part.get("detail") or "auto"}})
        elif kind == "input_audio":
            extra.append({"type": "input_audio", "input_audio": part.get("input_audio") or {}})
        elif kind == "input_file":
            texts.append(f"[file {part.get('filename') or part.get('file_id') or ''}]".strip())
        else:
            raise openai_error(400, f"Invalid value: '{kind}'. Supported values are: 'input_text', 'input_image', 'input_file' and 'output_text'.", param=f"input[{index}].content", code="invalid_value")
    return " ".join(t for t in texts if t), extra


@dataclass
class Conversation:
    """Chat messages for the planner, and the input items as the API lists them (with ids)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


def listed_item(item: dict[str, Any]) -> dict[str, Any]:
    """An input item as `GET /responses/{id}/input_items` shows it: an id, a type, a status."""
    if isinstance(item.get("content"), str) or item.get("role"):
        content = item.get("content")
        parts = [{"type": "input_text", "text": content}] if isinstance(content, str) else content
        return {"id": item.get("id") or new_id("msg"), "type": "message", "role": item.get("role", "user"), "content": parts, "status": "completed"}
    return {"id": item.get("id") or new_id({"function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}.get(item.get("type", ""), "item")), **item}


def to_conversation(instructions: str | None, raw_input: Any, history: Conversation | None, stored_items: dict[str, dict[str, Any]]) -> Conversation:
    """The model's view: earlier turns (`previous_response_id`), the instructions, then the new input."""
    conversation = Conversation(messages=list(history.messages) if history else [], items=[])
    if instructions:
        conversation.messages.insert(0, {"role": "system", "content": instructions})
    items = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else list(raw_input or [])
    known_calls = {call["id"] for m in conversation.messages for call in m.get("tool_calls") or []}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise openai_error(400, f"Invalid type for 'input[{index}]': expected an object.", param=f"input[{index}]", code="invalid_type")
        kind = item.get("type", "message")
        if kind == "item_reference":
            referenced = stored_items.get(str(item.get("id")))
            if referenced is None:
                raise openai_error(404, f"Item with id '{item.get('id')}' not found.", param=f"input[{index}].id")
            item, kind = referenced, referenced.get("type", "message")
        conversation.items.append(listed_item(item))
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant", "system", "developer"):
                raise openai_error(400, f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.", param=f"input[{index}].role", code="invalid_value")
            text, extra = _text_parts(item.get("content"), index)
            content: Any = [{"type": "text", "text": text}, *extra] if extra else text
            conversation.messages.append({"role": role, "content": content})
        elif kind == "function_call":
            call = {"id": str(item.get("call_id") or ""), "type": "function", "function": {"name": str(item.get("name") or ""), "arguments": str(item.get("arguments") or "")}}
            last = conversation.messages[-1] if conversation.messages else None
            if last is not None and last.get("role") == "assistant" and last.get("tool_calls") and not last.get("content"):
                last["tool_calls"].append(call)  # parallel calls of one turn
            else:
                conversation.messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            known_calls.add(call["id"])
        elif kind == "function_call_output":
            call_id = str(item.get("call_id") or "")
            if call_id not in known_calls:
                raise openai_error(400, f"No tool call found for function call output with call_id {call_id}.", param="input")
            output = item.get("output")
            conversation.messages.append({"role": "tool", "tool_call_id": call_id, "content": output if isinstance(output, str) else str(output)})
        elif kind == "reasoning":
            continue  # the model's own earlier thinking: kept in the items, not re-read
        else:
            raise openai_error(400, f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning' and 'item_reference'.", param=f"input[{index}].type", code="invalid_value")
    if not any(m.get("role") in ("user", "tool") for m in conversation.messages):
        raise openai_error(400, "Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
    return conversation


# Built-in tools a request may offer that the local models never use (they cannot search): accepted,
# echoed with the API's defaults, and never called.
UNUSED_BUILTIN_TOOLS = ("web_search_preview", "web_search")
WEB_SEARCH_DEFAULTS = {
    "search_context_size": "medium",
    "user_location": {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None},
}


def chat_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Responses function tools (`name` at the top) as chat tools (`function: {...}`); built-in tools
    the local models never use are left out; any other tool type is refused."""
    converted = []
    for index, tool in enumerate(tools or []):
        if tool.get("type") in UNUSED_BUILTIN_TOOLS:
            continue
        if tool.get("type") != "function":
            raise openai_error(400, f"Tool type '{tool.get('type')}' is not supported by the local server; only function tools are.", param=f"tools[{index}].type", code="invalid_value")
        if not tool.get("name"):
            raise openai_error(400, f"Missing required parameter: 'tools[{index}].name'.", param=f"tools[{index}].name", code="missing_required_parameter")
        converted.append({"type": "function", "function": {"name": tool["name"], "description": tool.get("description"), "parameters": tool.get("parameters") or {"type": "object"}}})
    return converted


def echoed_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The tools as the response echoes them: strict by default, with closed objects (as the API does)."""
    echoed = []
    for tool in tools or []:
        if tool.get("type") in UNUSED_BUILTIN_TOOLS:
            echoed.append({**WEB_SEARCH_DEFAULTS, **tool})
            continue
        parameters = dict(tool.get("parameters") or {"type": "object", "properties": {}})
        strict = tool.get("strict", True)
        if strict and parameters.get("type") == "object":
            parameters.setdefault("additionalProperties", False)
        echoed.append({"type": "function", "description": tool.get("description"), "name": tool["name"], "parameters": parameters, "strict": strict})
    return echoed


def chat_tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return choice


def chat_response_format(text: dict[str, Any] | None) -> dict[str, Any] | None:
    fmt = (text or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": fmt.get("name"), "schema": fmt.get("schema"), "strict": fmt.get("strict")}}
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    return None


# -- output -------------------------------------------------------------------------------------------


def summary_parts(plan: ChatPlan, kind: str | None) -> list[str]:
    """Reasoning summaries: a bold title and a condensed restatement, one part ("auto", "concise") or
    one per sentence of the thinking ("detailed"), as the recordings show them."""
    if not kind or not plan.reasoning_chunks:
        return []
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", plan.reasoning.strip()) if s]
    if kind == "concise":
        groups = [sentences[:3]]
    else:  # "auto" and "detailed" gave several parts in the recordings
        groups = [sentences[i : i + 2] for i in range(0, min(len(sentences), 6), 2)]
    titles = ("Understanding the question", "Working it out", "Planning the answer")
    return [f"**{titles[i % len(titles)]}**\n\n{' '.join(group)}" for i, group in enumerate(groups) if group]


@dataclass
class Output:
    """The output items of one response, in order, and what the stream needs to replay them."""

    items: list[dict[str, Any]]
    text: str  # the message's text (the concatenation the SDK's output_text gives)
    status: str  # completed or incomplete


def build_output(plan: ChatPlan, *, reasons: bool, summary: str | None, include_encrypted: bool) -> Output:
    items: list[dict[str, Any]] = []
    if reasons:
        reasoning: dict[str, Any] = {"id": new_id("rs"), "type": "reasoning", "summary": [{"type": "summary_text", "text": text} for text in summary_parts(plan, summary)]}
        if include_encrypted:
            reasoning["encrypted_content"] = "local:" + plan.reasoning.encode("utf-8").hex()
        items.append(reasoning)
    status = "incomplete" if plan.finish_reason == "length" else "completed"
    if plan.tool_calls:
        for call in plan.tool_calls:
            items.append({"id": new_id("fc"), "type": "function_call", "status": "completed", "arguments": call.arguments, "call_id": call.id, "name": call.name})
        return Output(items, "", status)
    text = plan.content
    items.append(
        {
            "id": new_id("msg"),
            "type": "message",
            "status": status,
            "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}],
            "role": "assistant",
        }
    )
    return Output(items, text, status)


def response_object(
    response_id: str,
    body: dict[str, Any],
    model: str,
    *,
    status: str,
    output: list[dict[str, Any]],
    plan: ChatPlan | None,
    created_at: int,
    error: dict[str, Any] | None = None,
    reasons: bool = False,
) -> dict[str, Any]:
    """The response as the API returns it (the 2026 field set: recordings from 2025 have a subset)."""
    reasoning = body.get("reasoning") or {}
    summary = reasoning.get("summary")
    effort = reasoning.get("effort") or ("medium" if reasons else None)  # a reasoning model echoes its default
    text = body.get("text") or {}
    usage = None
    if plan is not None and status in ("completed", "incomplete"):
        tokens = usage_body(plan.prompt_tokens, plan.completion_tokens, plan.reasoning_tokens)
        usage = {
            "input_tokens": tokens["prompt_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": tokens["completion_tokens"],
            "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
            "total_tokens": tokens["total_tokens"],
        }
    finished = status in ("completed", "incomplete", "failed", "cancelled")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": bool(body.get("background")),
        "completed_at": int(time.time()) if status == "completed" else None,
        "error": error,
        "frequency_penalty": float(body.get("frequency_penalty") or 0.0),
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": output if finished else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "presence_penalty": float(body.get("presence_penalty") or 0.0),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": body.get("prompt_cache_retention"),
        # The API echoes "detailed" where "auto" was asked (responses_streaming_reasoning_summary.json).
        "reasoning": {"effort": effort, "summary": "detailed" if summary == "auto" else summary},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": float(body["temperature"]) if body.get("temperature") is not None else 1.0,
        "text": {"format": _echoed_format(text.get("format")), "verbosity": text.get("verbosity") or "medium"},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": echoed_tools(body.get("tools")),
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": float(body["top_p"]) if body.get("top_p") is not None else 1.0,
        "truncation": body.get("truncation") or "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def _echoed_format(fmt: dict[str, Any] | None) -> dict[str, Any]:
    if not fmt or fmt.get("type") == "text":
        return {"type": "text"}
    if fmt.get("type") == "json_schema":  # echoed with `description: null` (responses_structured_output.json)
        return {"type": "json_schema", "description": fmt.get("description"), "name": fmt.get("name"), "schema": fmt.get("schema"), "strict": fmt.get("strict", True)}
    return dict(fmt)
