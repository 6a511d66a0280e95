"""What an endpoint can do and how fast: capability probes and a latency probe.

Used where `/info` is not supported (Foundry, Azure OpenAI, OpenAI-compatible servers) to find out
what answers, and everywhere to measure time to first token, tokens per second and embeddings latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .inference import ChatMessage, ChatOptions, EmbeddingOptions, InferenceBackend, InferenceError
from .reply_stream import COMPLETE, ReplyOutcome, ReplyStream
from .settings import Connection

PROBE_MESSAGE = "Reply with one short sentence: is this endpoint working?"
PROBE_MAX_TOKENS = 32


@dataclass(frozen=True)
class CapabilityResult:
    capability: str  # "chat" or "embeddings"
    ok: bool
    model: str | None
    detail: str
    latency_ms: float
    dimensions: int | None = None
    error_kind: str | None = None
    first_token_ms: float | None = None


@dataclass(frozen=True)
class LatencySample:
    run: int
    call: str  # "chat" or "embeddings"
    ok: bool
    time_to_first_token_ms: float | None
    total_ms: float
    tokens_per_second: float | None
    error_kind: str | None = None


def _chat_once(backend: InferenceBackend, model: str | None) -> ReplyOutcome:
    messages = [ChatMessage(role="user", content=PROBE_MESSAGE)]
    stream = ReplyStream(
        lambda: backend.stream_chat(messages, ChatOptions(model=model, max_tokens=PROBE_MAX_TOKENS)),
        on_finish=lambda outcome: None,
        max_retries=0,
    )
    for _ in stream:
        pass
    return stream.close()  # finalised by the end of iteration already; close() returns that outcome


def probe_chat(backend: InferenceBackend, connection: Connection, model: str | None = None) -> CapabilityResult:
    model = model or connection.chat_model
    outcome = _chat_once(backend, model)
    if outcome.error is not None and not outcome.content:
        return CapabilityResult("chat", False, model, outcome.error.user_message(), outcome.total_time_ms or 0, error_kind=outcome.error.kind.value)
    usage = f"{outcome.usage.completion_tokens} tokens" if outcome.usage else "no usage reported"
    return CapabilityResult(
        "chat", True, outcome.model or model, f"answered ({usage}, finish: {outcome.finish_reason})", outcome.total_time_ms or 0,
        first_token_ms=outcome.time_to_first_token_ms,
    )


def probe_embeddings(backend: InferenceBackend, connection: Connection, model: str | None = None) -> CapabilityResult:
    model = model or connection.embeddings_model
    started = time.perf_counter()
    try:
        batch = backend.embed(["hello world"], EmbeddingOptions(model=model))
    except InferenceError as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return CapabilityResult("embeddings", False, model, exc.user_message(), elapsed, error_kind=exc.kind.value)
    elapsed = (time.perf_counter() - started) * 1000
    dimensions = int(batch.vectors.shape[1]) if len(batch.vectors) else None
    return CapabilityResult("embeddings", True, batch.model or model, f"{dimensions} dimensions", elapsed, dimensions)


def probe_capabilities(
    backend: InferenceBackend, connection: Connection, chat_model: str | None = None, embeddings_model: str | None = None
) -> list[CapabilityResult]:
    """Whether a tiny chat call and a tiny embeddings call answer (the given models, else the connection's)."""
    return [probe_chat(backend, connection, chat_model), probe_embeddings(backend, connection, embeddings_model)]


def latency_probe(
    backend: InferenceBackend,
    connection: Connection,
    runs: int = 3,
    include_embeddings: bool = True,
    chat_model: str | None = None,
    embeddings_model: str | None = None,
) -> list[LatencySample]:
    chat_model = chat_model or connection.chat_model
    embeddings_model = embeddings_model or connection.embeddings_model
    samples: list[LatencySample] = []
    for run in range(1, runs + 1):
        outcome = _chat_once(backend, chat_model)
        samples.append(
            LatencySample(
                run,
                "chat",
                outcome.status == COMPLETE,
                outcome.time_to_first_token_ms,
                outcome.total_time_ms or 0,
                outcome.tokens_per_second,
                outcome.error.kind.value if outcome.error else None,
            )
        )
        if include_embeddings:
            started = time.perf_counter()
            error_kind = None
            try:
                backend.embed([f"latency probe {run}"], EmbeddingOptions(model=embeddings_model))
            except InferenceError as exc:
                error_kind = exc.kind.value
            samples.append(LatencySample(run, "embeddings", error_kind is None, None, (time.perf_counter() - started) * 1000, None, error_kind))
    return samples
