"""The tool registry and the safe way to run a model's tool call.

Adding a tool is one decorated function whose keyword arguments match its JSON schema:

    @tool("word_count", "Count the words in a text.", {"type": "object",
          "properties": {"text": {"type": "string"}}, "required": ["text"]})
    def word_count(context: ToolContext, text: str) -> dict:
        return {"words": len(text.split())}

A tool that raises, a call with invalid JSON arguments or arguments that do not match the schema, and a
result that cannot be sent as JSON all become an error result sent back to the model; it never crashes
the page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema


@dataclass(frozen=True)
class ToolContext:
    """What a tool may use besides its arguments (e.g. the user's own saved conversations)."""

    search_conversations: Callable[[str, int], list[dict[str, Any]]] | None = None
    conversation_id: str | None = None  # the conversation the tool is called from


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]

    def definition(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}


@dataclass(frozen=True)
class ToolResult:
    name: str
    arguments: str
    content: str  # what is sent back to the model (JSON text)
    ok: bool
    duration_ms: float


@dataclass
class ToolRegistry:
    tools: dict[str, Tool] = field(default_factory=dict)

    def register(self, item: Tool) -> Tool:
        if item.name in self.tools:
            raise ValueError(f"a tool named {item.name!r} is already registered")
        jsonschema.Draft202012Validator.check_schema(item.parameters)
        self.tools[item.name] = item
        return item

    def get(self, name: str) -> Tool | None:
        return self.tools.get(name)

    def definitions(self, names: list[str] | tuple[str, ...]) -> tuple[dict[str, Any], ...]:
        return tuple(self.tools[n].definition() for n in names if n in self.tools)

    def names(self) -> list[str]:
        return sorted(self.tools)


REGISTRY = ToolRegistry()


def tool(name: str, description: str, parameters: dict[str, Any], registry: ToolRegistry = REGISTRY) -> Callable:
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        registry.register(Tool(name, description, parameters, function))
        return function

    return decorate


def _error(message: str) -> str:
    return json.dumps({"error": message})


def run_tool_call(name: str, arguments: str, context: ToolContext, registry: ToolRegistry = REGISTRY) -> ToolResult:
    """Run one call; every failure is reported to the model as {"error": ...}."""
    started = time.perf_counter()

    def finish(content: str, ok: bool) -> ToolResult:
        return ToolResult(name, arguments, content, ok, (time.perf_counter() - started) * 1000)

    item = registry.get(name)
    if item is None:
        return finish(_error(f"unknown tool {name!r}; available: {', '.join(registry.names())}"), False)
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        return finish(_error(f"the arguments are not valid JSON ({exc.msg}); send a JSON object"), False)
    if not isinstance(parsed, dict):
        return finish(_error("the arguments must be a JSON object"), False)
    try:
        jsonschema.validate(parsed, item.parameters)
    except jsonschema.ValidationError as exc:
        return finish(_error(f"invalid arguments: {exc.message}"), False)
    try:
        result = item.function(context, **parsed)
    except Exception as exc:  # noqa: BLE001 - a failing tool is reported to the model, never raised
        return finish(_error(f"{name} failed: {exc}"), False)
    try:
        content = json.dumps(result, ensure_ascii=False, default=str, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:  # NaN, a huge int, a circular structure
        return finish(_error(f"{name} returned a result that cannot be sent as JSON: {exc}"), False)
    return finish(content, True)
