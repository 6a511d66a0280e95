"""A conversation's own chat settings: stored with it, sent as per-call overrides of the client defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .inference import REASONING_EFFORTS, REASONING_SUMMARIES, ChatMessage, ChatOptions, SamplingParameters
from .tools import REGISTRY

SYSTEM_PROMPT_PRESETS: dict[str, str] = {
    "Helpful assistant": "You are a helpful assistant.",
    "Concise": "You are a concise assistant. Answer in as few words as possible.",
    "Code reviewer": "You are a senior engineer. Review code for bugs, clarity and security, and suggest fixes.",
    "Translator": "Translate everything the user writes into English, keeping the meaning and tone.",
    "None": "",
}
DEFAULT_SYSTEM_PROMPT = SYSTEM_PROMPT_PRESETS["Helpful assistant"]


@dataclass(frozen=True)
class ChatSettings(SamplingParameters):
    """The sampling parameters (SamplingParameters, sent as they are) and the rest of a conversation's settings."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    system_role: str = "system"  # or "developer" for models that want one
    model: str | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()  # names of registered tools switched on for this conversation
    response_format: dict[str, Any] | None = None  # None (text), json_object or json_schema
    reasoning_effort: str | None = None  # low, medium or high, for reasoning models; None = the model's default
    reasoning_summary: str | None = None  # auto or detailed: reasoning summaries (Responses API); None = none asked
    image_detail: str = "auto"
    compare: dict[str, Any] | None = None  # compare mode's targets (portal/compare.py CompareSetup); never a secret

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        data["tools"] = list(self.tools)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChatSettings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if "stop" in values:
            values["stop"] = tuple(str(s) for s in values["stop"] or () if str(s))
        if "tools" in values:
            values["tools"] = tuple(str(t) for t in values["tools"] or () if REGISTRY.get(str(t)))
        if not isinstance(values.get("response_format"), (dict, type(None))):
            values.pop("response_format")
        if not isinstance(values.get("compare"), (dict, type(None))):
            values.pop("compare")
        if values.get("system_role") not in ("system", "developer"):
            values.pop("system_role", None)
        if values.get("reasoning_effort") not in REASONING_EFFORTS:
            values.pop("reasoning_effort", None)
        if values.get("reasoning_summary") not in REASONING_SUMMARIES:
            values.pop("reasoning_summary", None)
        return cls(**values)

    def with_changes(self, **changes: Any) -> ChatSettings:
        return replace(self, **changes)

    def options(self, *, allow_tools: bool = True) -> ChatOptions:
        tools = REGISTRY.definitions(self.tools) if allow_tools else ()
        return ChatOptions(
            model=self.model,
            **self.sampling(),
            stop=self.stop,
            response_format=self.response_format,
            reasoning_effort=self.reasoning_effort,
            reasoning_summary=self.reasoning_summary,
            tools=tools,
            tool_choice="auto" if tools else None,
        )

    def system_message(self) -> ChatMessage | None:
        if not self.system_prompt.strip():
            return None
        return ChatMessage(role=self.system_role, content=self.system_prompt)


def settings_summary(settings: ChatSettings, default_model: str | None = None) -> str:
    """The one line always shown above a chat: model · temperature · tools · format (what differs from
    the defaults; the model always, "default model" when the connection decides)."""
    model = settings.model or default_model
    pieces = [model or "default model"]
    if settings.reasoning_effort:
        pieces.append(f"{settings.reasoning_effort} reasoning")
    if settings.temperature is not None:
        pieces.append(f"temperature {settings.temperature:g}")
    if settings.max_tokens is not None:
        pieces.append(f"max {settings.max_tokens:,} tokens")
    if settings.tools:
        pieces.append("tools on: " + ", ".join(settings.tools))
    kind = (settings.response_format or {}).get("type")
    if kind == "json_schema":
        pieces.append("JSON schema")
    elif kind == "json_object":
        pieces.append("JSON")
    if settings.system_prompt != DEFAULT_SYSTEM_PROMPT:
        pieces.append("custom system prompt" if settings.system_prompt else "no system prompt")
    return " · ".join(pieces)
