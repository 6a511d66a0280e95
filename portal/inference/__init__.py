"""The inference boundary: one protocol every caller uses, a factory that picks the backend per
connection, and the values that cross it. `azure_backend` is the only importer of `azure.ai.inference`,
`openai_backend` the only importer of `openai`; nothing outside this package names either.

Importing this package imports neither SDK: `make_backend` loads the one a connection needs.
"""

from .errors import ErrorKind, InferenceError
from .factory import make_backend
from .protocol import AsyncEmbed, InferenceBackend
from .types import (
    CHAT_MODEL,
    EMBEDDINGS_MODEL,
    REASONING_EFFORTS,
    REASONING_SUMMARIES,
    SAMPLING_PARAMETERS,
    WIRE_CHAT_COMPLETIONS,
    WIRE_RESPONSES,
    WIRES,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatReply,
    DeployedModel,
    EmbeddingBatch,
    EmbeddingOptions,
    EndpointFeatures,
    ModelInfo,
    ModelListing,
    ReasoningDelta,
    SamplingParameter,
    SamplingParameters,
    StreamEnd,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "CHAT_MODEL",
    "EMBEDDINGS_MODEL",
    "REASONING_EFFORTS",
    "REASONING_SUMMARIES",
    "SAMPLING_PARAMETERS",
    "WIRES",
    "WIRE_CHAT_COMPLETIONS",
    "WIRE_RESPONSES",
    "AsyncEmbed",
    "ChatEvent",
    "ChatMessage",
    "ChatOptions",
    "ChatReply",
    "DeployedModel",
    "EmbeddingBatch",
    "EmbeddingOptions",
    "EndpointFeatures",
    "ErrorKind",
    "InferenceBackend",
    "InferenceError",
    "ModelInfo",
    "ModelListing",
    "ReasoningDelta",
    "SamplingParameter",
    "SamplingParameters",
    "StreamEnd",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "make_backend",
]
