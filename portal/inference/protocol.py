"""The whole contract between the app and a model service: what every backend implements.

Callers (the chat service, the embeddings jobs, the probes, the pages through them) hold an
`InferenceBackend` made by `factory.make_backend` and never a concrete class, so adding a backend is
one module and one factory entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from .types import (
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatReply,
    EmbeddingBatch,
    EmbeddingOptions,
    EndpointFeatures,
    ModelInfo,
    ModelListing,
)

AsyncEmbed = Callable[[Sequence[str], EmbeddingOptions], Awaitable[EmbeddingBatch]]


class InferenceBackend(Protocol):
    def features(self) -> EndpointFeatures:
        """What the endpoint supports (no request is made)."""
        ...

    def stream_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        """Yield deltas as they arrive and a StreamEnd last; raise InferenceError on failure.

        Closing the iterator early (stop) closes the connection."""
        ...

    def complete_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> ChatReply: ...

    def embed(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch: ...

    def embedding_session(self) -> AbstractAsyncContextManager[AsyncEmbed]:
        """An async embed function on one client bound to the running event loop, for many concurrent
        batches (the embeddings job); the client is closed when the context ends."""
        ...

    async def embed_async(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
        """One batch, on a client of its own (use `embedding_session` for many)."""
        ...

    def list_models(self) -> ModelListing:
        """The deployments or models the endpoint serves; InferenceError (NOT_FOUND, AUTH, CONFIG) when it cannot tell."""
        ...

    def model_info(self) -> ModelInfo:
        """GET /info (cached per client); InferenceError NOT_FOUND where the endpoint has none."""
        ...

    def detect_client_type(self) -> str:
        """The inference SDK's `load_client` choice; InferenceError CONFIG where that API does not exist."""
        ...

    def close(self) -> None: ...
