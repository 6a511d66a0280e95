"""The small interface every inference backend implements, and the values that cross it.

Pages and domain code speak only these types; `azure_backend` is the one implementation (and the
only importer of `azure.ai.inference`), so that a second backend (e.g. the OpenAI SDK, which
Microsoft recommends after the inference SDK's retirement) can be added without touching pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system, developer, user, assistant, tool
    content: str = ""
    parts: tuple[dict[str, Any], ...] = ()  # extra parts (image_url, input_audio) after the text
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class ChatOptions:
    """Per-call parameters; None means "use the client's default"."""

    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    response_format: dict[str, Any] | None = None  # {"type": "json_object"} or {"type": "json_schema", ...}
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | None = None

    def as_params(self) -> dict[str, Any]:
        """The parameters a conversation stores with each reply (None values dropped)."""
        params = {
            "model": self.model,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "seed": self.seed,
            "stop": list(self.stop) or None,
            "response_format": self.response_format,
        }
        return {k: v for k, v in params.items() if v is not None}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class StreamEnd:
    """The last event of a stream that finished normally; finish_reason None means it ended without one."""

    finish_reason: str | None
    model: str | None
    usage: Usage | None


ChatEvent = TextDelta | ToolCallDelta | StreamEnd


@dataclass(frozen=True)
class ChatReply:
    content: str
    finish_reason: str | None
    model: str | None
    usage: Usage | None
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    model_name: str
    model_type: str
    model_provider_name: str


@dataclass(frozen=True)
class EmbeddingOptions:
    model: str | None = None
    dimensions: int | None = None
    input_type: str | None = None  # text, query or document
    encoding_format: str = "float"  # float or base64 (decoded by the backend)


@dataclass(frozen=True)
class EmbeddingBatch:
    vectors: np.ndarray  # float32, one row per text, in the order of the texts
    model: str | None
    prompt_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class InferenceBackend(Protocol):
    def stream_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        """Yield deltas as they arrive and a StreamEnd last; raise InferenceError on failure."""

    def complete_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> ChatReply: ...

    def embed(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch: ...

    async def embed_async(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch: ...

    def model_info(self) -> ModelInfo:
        """GET /info through the SDK (cached per client); raise InferenceError (NOT_FOUND where unsupported)."""

    def close(self) -> None: ...
