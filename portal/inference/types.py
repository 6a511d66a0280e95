"""The values that cross the inference boundary: messages, options, stream events, replies, embeddings, models.

Plain frozen dataclasses with no SDK types in them, so that pages, domain code and storage never see
which SDK answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import numpy as np

WIRE_CHAT_COMPLETIONS: Final = "chat_completions"
WIRE_RESPONSES: Final = "responses"
WIRES = (WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES)
REASONING_EFFORTS = ("low", "medium", "high")
REASONING_SUMMARIES = ("auto", "detailed")


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
    response_id: str | None = None  # assistant replies: the stored Responses API response that produced it


@dataclass(frozen=True)
class SamplingParameter:
    """How one sampling parameter is asked for (the settings form's number input) and sent."""

    name: str  # the field of SamplingParameters, ChatOptions and ChatSettings; its Chat Completions name
    label: str
    minimum: float
    maximum: float
    step: float
    widget_key: str  # the form's widget key prefix (`<key>_<conversation id>`)
    integer: bool = False
    placeholder: str = "default"
    responses_name: str | None = None  # its Responses API name; None: the Responses API has no such parameter

    def wire_name(self, wire: str) -> str | None:
        """The request parameter it is sent as on `wire`; None when that wire has none."""
        return self.responses_name if wire == WIRE_RESPONSES else self.name


def _sampling(
    label: str,
    minimum: float,
    maximum: float,
    step: float,
    *,
    key: str,
    integer: bool = False,
    placeholder: str = "default",
    responses_name: str | None = None,
) -> Any:
    """A field of SamplingParameters (default None) carrying the rest of its SamplingParameter."""
    spec = {"label": label, "minimum": minimum, "maximum": maximum, "step": step, "widget_key": key, "integer": integer}
    return field(default=None, metadata={"sampling": {**spec, "placeholder": placeholder, "responses_name": responses_name}})


@dataclass(frozen=True)
class SamplingParameters:
    """The sampling parameters, defined once: ChatOptions and ChatSettings have them as fields, and the
    backends' requests, the stored `params` of a reply and the settings form's inputs all follow
    SAMPLING_PARAMETERS (derived from these fields). None means "use the client's default"."""

    temperature: float | None = _sampling("Temperature", 0.0, 2.0, 0.1, key="temp", responses_name="temperature")
    top_p: float | None = _sampling("Top p", 0.0, 1.0, 0.05, key="top_p", responses_name="top_p")
    # sent as `max_completion_tokens` where the endpoint wants that (openai_backend)
    max_tokens: int | None = _sampling(
        "Max tokens", 1, 1_000_000, 64, key="max", integer=True, responses_name="max_output_tokens"
    )
    seed: int | None = _sampling("Seed", 0, 2**31 - 1, 1, key="seed", integer=True, placeholder="none")  # no Responses equivalent
    presence_penalty: float | None = _sampling("Presence penalty", -2.0, 2.0, 0.1, key="pres", responses_name="presence_penalty")
    frequency_penalty: float | None = _sampling(
        "Frequency penalty", -2.0, 2.0, 0.1, key="freq", responses_name="frequency_penalty"
    )

    def sampling(self) -> dict[str, Any]:
        """Every sampling parameter by name (None when not set), in SAMPLING_PARAMETERS order."""
        return {parameter.name: getattr(self, parameter.name) for parameter in SAMPLING_PARAMETERS}

    def sampling_request(self, wire: str) -> dict[str, Any]:
        """The parameters that are set, under their request names on `wire` (what that wire has)."""
        sent = {parameter.wire_name(wire): getattr(self, parameter.name) for parameter in SAMPLING_PARAMETERS}
        return {name: value for name, value in sent.items() if name is not None and value is not None}


SAMPLING_PARAMETERS: tuple[SamplingParameter, ...] = tuple(
    SamplingParameter(f.name, **f.metadata["sampling"]) for f in fields(SamplingParameters)
)


@dataclass(frozen=True)
class ChatOptions(SamplingParameters):
    """Per-call parameters (the sampling parameters and these); None means "use the client's default"."""

    model: str | None = None
    stop: tuple[str, ...] = ()
    response_format: dict[str, Any] | None = None  # {"type": "json_object"} or {"type": "json_schema", ...}
    reasoning_effort: str | None = None  # low, medium or high: reasoning models only
    reasoning_summary: str | None = None  # auto or detailed: the Responses API's reasoning summaries
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | None = None

    def as_params(self) -> dict[str, Any]:
        """The parameters a conversation stores with each reply (None values dropped)."""
        params = {
            "model": self.model,
            **self.sampling(),
            "stop": list(self.stop) or None,
            "response_format": self.response_format,
            "reasoning_effort": self.reasoning_effort,
            "reasoning_summary": self.reasoning_summary,
        }
        return {k: v for k, v in params.items() if v is not None}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int  # includes the reasoning tokens, as the APIs count them
    reasoning_tokens: int | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """Thinking a reasoning model streams before (or beside) its answer; never part of the answer."""

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
    response_id: str | None = None  # the Responses API's response (kept for previous_response_id when stored)


ChatEvent = TextDelta | ReasoningDelta | ToolCallDelta | StreamEnd


@dataclass(frozen=True)
class ChatReply:
    content: str
    finish_reason: str | None
    model: str | None
    usage: Usage | None
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str = ""
    response_id: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    model_name: str
    model_type: str
    model_provider_name: str


@dataclass(frozen=True)
class EmbeddingOptions:
    model: str | None = None
    dimensions: int | None = None
    input_type: str | None = None  # text, query or document (only where `EndpointFeatures.embeddings_input_type`)
    encoding_format: str = "float"  # float or base64 (decoded by the backend)


@dataclass(frozen=True)
class EmbeddingBatch:
    vectors: np.ndarray  # float32, one row per text, in the order of the texts
    model: str | None
    prompt_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


CHAT_MODEL, EMBEDDINGS_MODEL = "chat", "embeddings"


@dataclass(frozen=True)
class DeployedModel:
    """One deployment (Azure) or model (OpenAI-compatible servers) an endpoint says it serves."""

    name: str  # what goes in `model`: the deployment name on Azure
    kind: str  # CHAT_MODEL or EMBEDDINGS_MODEL
    model: str | None = None  # the underlying model, where the listing says
    version: str | None = None


@dataclass(frozen=True)
class ModelListing:
    models: tuple[DeployedModel, ...]
    source: str  # what was asked: "deployments" or "models"

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(m.name for m in self.models if m.kind == kind)


@dataclass(frozen=True)
class EndpointFeatures:
    """What the endpoint (through its backend) can do, so pages show only what works."""

    api: str  # "openai" or "azure-ai-inference"
    model_info: bool  # GET /info answers (serverless and managed compute)
    client_type_detection: bool  # the inference SDK's load_client() can decide
    model_listing: str | None  # "deployments", "models", or None when the endpoint cannot list them
    embeddings_input_type: bool  # `input_type` is accepted on embeddings
    wires: tuple[str, ...] = (WIRE_CHAT_COMPLETIONS,)
