"""What every route of the local server shares: configuration, state, auth, bodies, faults and paced streams.

The Azure AI Model Inference routes (`app.py`) and the OpenAI v1 routes (`openai_routes.py`) differ in
their request rules, error shapes and chunk framing; everything else lives here once.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import Request

from . import errors
from .catalog import ModelEntry, default_models
from .directives import Fault
from .embedding_models import encode_vector
from .errors import ApiError
from .framing import DONE_EVENT
from .protocol import parse_json_body

DEFAULT_WORDS_PER_SECOND = 40.0


class CutConnection(Exception):
    """Raised inside a response body to drop the connection mid-transfer (`/fault cut:N`)."""


class _QuietCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        nested = getattr(exc, "exceptions", ())
        return not (isinstance(exc, CutConnection) or any(isinstance(e, CutConnection) for e in nested))


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


@dataclass
class ServerConfig:
    api_key: str | None = None
    words_per_second: float = DEFAULT_WORDS_PER_SECOND
    max_body_bytes: int = 20 * 1024 * 1024
    max_embedding_inputs: int = 2048
    max_input_tokens: int = 8192
    context_window_tokens: int = 131_072
    hang_seconds: float = 120.0
    # BUILTIN_MODELS, plus all-MiniLM-L6-v2 when the optional extra is installed.
    models: tuple[ModelEntry, ...] = field(default_factory=default_models)
    # Fault injection for clients' retry logic (directives only reach chat): the first N embeddings
    # requests answer 429 with `retry-after-ms` and `Retry-After` (seconds, rounded up), as Azure does.
    embedding_rate_limit_first: int = 0
    embedding_retry_after_ms: int = 200
    # Added to every embeddings request before it is answered (an asyncio sleep, no CPU): the network
    # and queueing time a real endpoint adds, so that a benchmark on a small machine measures
    # concurrency rather than how its cores are shared (bench 5 uses 150 ms).
    embedding_latency_ms: float = 0.0
    # On the OpenAI v1 routes, any chat or embeddings model name is answered by a local model (the
    # openai package's own examples name models such as gpt-4o-2024-08-06); strict: unknown names 404.
    strict_models: bool = False
    # How long stored Responses API objects stay retrievable (and usable as previous_response_id): Azure keeps 30 days.
    stored_response_ttl_seconds: float = 30 * 24 * 3600


@dataclass
class StreamTiming:
    """When a streamed reply's chunks left the server: wall-clock `time.time()` seconds, stamped as
    each content chunk is handed to the connection, so a client on the same machine can measure how
    long after the last chunk its last word showed (benchmark 2, `bench/stream_ui.py`)."""

    first_token_at: float | None = None
    last_token_at: float | None = None
    finished_at: float | None = None  # after the final event ([DONE], or the last one sent)
    tokens: int = 0


@dataclass
class RequestRecord:
    method: str
    path: str
    style: str
    operation: str
    model: str | None
    status: int
    inputs: int = 0
    stream: bool = False
    timing: StreamTiming | None = None  # streamed chat replies only; filled in while the body streams
    query: str = ""


@dataclass
class ServerState:
    config: ServerConfig
    models: dict[str, ModelEntry] = field(default_factory=dict)
    requests: collections.deque[RequestRecord] = field(default_factory=lambda: collections.deque(maxlen=50_000))
    fault_counts: collections.Counter[str] = field(default_factory=collections.Counter)
    # Stored Responses API objects by id (see responses.py): what `previous_response_id` refers to.
    responses: dict[str, Any] = field(default_factory=dict)

    def count(self, operation: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (operation is None or r.operation == operation) and (status is None or r.status == status)
        )


def presented_key_matches(request: Request, config: ServerConfig) -> bool:
    """Whether the request carries the configured key (`api-key` or `Authorization: Bearer`); True without one."""
    if not config.api_key:
        return True
    expected = config.api_key.encode()
    bearer = request.headers.get("authorization", "")
    candidates = [request.headers.get("api-key", "")]
    if bearer.lower().startswith("bearer "):
        candidates.append(bearer[7:].strip())
    return any(c and hmac.compare_digest(c.encode(), expected) for c in candidates)


async def read_body(request: Request, config: ServerConfig) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_body_bytes:
        raise errors.too_large(config.max_body_bytes)
    raw = bytearray()
    async for piece in request.stream():
        raw.extend(piece)
        if len(raw) > config.max_body_bytes:
            raise errors.too_large(config.max_body_bytes)
    return parse_json_body(bytes(raw))


def fault_applies(state: ServerState, fault: Fault, body: dict[str, Any], path: str) -> bool:
    if fault.times is None:
        return True
    key = hashlib.sha256((path + repr(body.get("messages", body.get("input")))).encode()).hexdigest()
    state.fault_counts[key] += 1
    return state.fault_counts[key] <= fault.times


async def apply_fault(fault: Fault | None, status_fault: Callable[[Fault], ApiError | None], config: ServerConfig) -> None:
    """Raise the status a `/fault` directive asks for, or wait for `hang`; cut and nodone act on the body."""
    if fault is None:
        return
    if (status_error := status_fault(fault)) is not None:
        raise status_error
    if fault.kind == "hang":
        await asyncio.sleep(fault.argument if fault.argument is not None else config.hang_seconds)


EventSource = Callable[[bool], Iterator[tuple[bytes, bool]]]  # with_finish -> (event, is_token) pairs


async def paced_stream(
    events: EventSource, words_per_second: float, fault: Fault | None, timing: StreamTiming, *, done_event: bytes | None = DONE_EVENT
) -> AsyncIterator[bytes]:
    """Send the events one by one, a token every 1/words_per_second seconds; apply `cut` and `nodone`."""
    cut_after = int(fault.argument or 0) if fault and fault.kind == "cut" else None
    no_done = bool(fault and fault.kind == "nodone")
    delay = 1.0 / words_per_second if words_per_second > 0 else 0.0
    sent = 0
    first_token = True
    for event, is_token in events(not no_done):
        if cut_after is not None and sent >= cut_after:
            raise CutConnection()
        if is_token:
            if not first_token and delay:
                await asyncio.sleep(delay)
            elif not delay and sent % 64 == 0:
                await asyncio.sleep(0)  # let other requests run during a fast, long stream
            first_token = False
        yield event  # resumes once the chunk has been written to the connection
        if is_token:
            timing.last_token_at = time.time()
            timing.first_token_at = timing.first_token_at or timing.last_token_at
            timing.tokens += 1
        sent += 1
    if cut_after is not None:
        raise CutConnection()
    if not no_done and done_event is not None:
        yield done_event
    timing.finished_at = time.time()


async def truncated_json(body: bytes | memoryview) -> AsyncIterator[bytes]:
    yield bytes(body[: len(body) // 2])
    raise CutConnection()


def embeddings_response(vectors: np.ndarray, model: str, encoding: str, prompt_tokens: int, extra_usage: dict | None = None) -> dict:
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens, **(extra_usage or {})}
    return {
        "id": str(uuid.uuid4()),
        "object": "list",
        "data": [{"index": i, "object": "embedding", "embedding": encode_vector(v, encoding)} for i, v in enumerate(vectors)],
        "model": model,
        "usage": usage,
    }


def dimensions_for(entry: ModelEntry, requested: int | None) -> int:
    if requested is None:
        return entry.default_dimensions or 384
    if entry.max_dimensions and requested > entry.max_dimensions:
        raise errors.bad_request(
            f"'dimensions' must be between 1 and {entry.max_dimensions} for model {entry.name}.", param="dimensions"
        )
    return requested
