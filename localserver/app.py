"""The FastAPI application: routes for every endpoint style, auth, faults and request accounting.

Endpoint styles, all on one port:
- ``/``                           serverless endpoint of `local-chat` (also answers `/embeddings`
                                  with `local-embed` and `/images/embeddings` with `local-image-embed`)
- ``/serverless/<model>``         single-model endpoint; `/info` describes that model
- ``/models``                     Azure AI Foundry style: `model` required in the body, `/info` 404
- ``/openai/deployments/<name>``  Azure OpenAI style: deployment in the path, `/info` 404
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse

from . import errors
from .catalog import (
    CHAT,
    DEFAULT_CHAT_MODEL,
    DEFAULT_EMBEDDINGS_MODEL,
    DEFAULT_IMAGE_EMBEDDINGS_MODEL,
    EMBEDDINGS,
    IMAGE_EMBEDDINGS,
    OPERATION_NAMES,
    ModelEntry,
    default_models,
)
from .chat_model import ChatPlan, plan_reply
from .directives import Fault
from .embedding_models import ImageDecodeError, embed_image, embed_texts_with, encode_vector
from .errors import AzureError
from .framing import DONE_EVENT, completion_body, stream_events
from .protocol import ChatRequest, EmbeddingsRequest, ImageEmbeddingsRequest, parse_json_body, validate
from .tokens import count_tokens

ROOT, SERVERLESS, FOUNDRY, AZURE_OPENAI = "root", "serverless", "foundry", "azure-openai"
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


@dataclass
class ServerState:
    config: ServerConfig
    models: dict[str, ModelEntry] = field(default_factory=dict)
    requests: collections.deque[RequestRecord] = field(default_factory=lambda: collections.deque(maxlen=50_000))
    fault_counts: collections.Counter[str] = field(default_factory=collections.Counter)

    def count(self, operation: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (operation is None or r.operation == operation) and (status is None or r.status == status)
        )


# -- helpers ------------------------------------------------------------------------------------------


def _check_auth(request: Request, config: ServerConfig, style: str) -> None:
    if not config.api_key:
        return
    expected = config.api_key.encode()
    bearer = request.headers.get("authorization", "")
    candidates = [request.headers.get("api-key", "")]
    if bearer.lower().startswith("bearer "):
        candidates.append(bearer[7:].strip())
    if not any(c and hmac.compare_digest(c.encode(), expected) for c in candidates):
        raise errors.unauthorized(openai_style=style == AZURE_OPENAI)


async def _read_body(request: Request, config: ServerConfig) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_body_bytes:
        raise errors.too_large(config.max_body_bytes)
    raw = bytearray()
    async for piece in request.stream():
        raw.extend(piece)
        if len(raw) > config.max_body_bytes:
            raise errors.too_large(config.max_body_bytes)
    return parse_json_body(bytes(raw))


def _resolve_model(state: ServerState, style: str, path_model: str | None, body_model: str | None, kind: str) -> ModelEntry:
    models = state.models
    defaults = {CHAT: DEFAULT_CHAT_MODEL, EMBEDDINGS: DEFAULT_EMBEDDINGS_MODEL, IMAGE_EMBEDDINGS: DEFAULT_IMAGE_EMBEDDINGS_MODEL}
    if style == ROOT:
        entry = models.get(body_model or "")
        return entry if entry is not None and entry.kind == kind else models[defaults[kind]]
    if style == SERVERLESS:
        entry = models.get(path_model or "")
        if entry is None or entry.kind != kind:
            raise errors.plain_not_found()
        return entry
    if style == FOUNDRY:
        if not body_model:
            raise errors.no_model_name()
        entry = models.get(body_model)
        if entry is None:
            raise errors.unknown_model(body_model)
    else:
        entry = models.get(path_model or "")
        if entry is None:
            raise errors.deployment_not_found(path_model or "")
    if entry.kind != kind:
        raise errors.operation_not_supported(OPERATION_NAMES[kind], entry.name)
    return entry


def _fault_applies(state: ServerState, fault: Fault, body: dict[str, Any], path: str) -> bool:
    if fault.times is None:
        return True
    key = hashlib.sha256((path + repr(body.get("messages"))).encode()).hexdigest()
    state.fault_counts[key] += 1
    return state.fault_counts[key] <= fault.times


def _status_fault(fault: Fault) -> AzureError | None:
    return {
        "429": lambda: errors.rate_limited(retry_after=1),
        "500": errors.internal_error,
        "503": errors.service_unavailable,
        "401": lambda: errors.unauthorized(openai_style=False),
        "filter": errors.content_filtered,
    }.get(fault.kind, lambda: None)()


async def _paced_stream(
    plan: ChatPlan, model: str, words_per_second: float, fault: Fault | None, timing: StreamTiming
) -> AsyncIterator[bytes]:
    cut_after = int(fault.argument or 0) if fault and fault.kind == "cut" else None
    no_done = bool(fault and fault.kind == "nodone")
    delay = 1.0 / words_per_second if words_per_second > 0 else 0.0
    sent = 0
    first_token = True
    for event, is_token in stream_events(plan, model, with_finish=not no_done):
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
    if not no_done:
        yield DONE_EVENT
    timing.finished_at = time.time()


async def _truncated_json(body: bytes) -> AsyncIterator[bytes]:
    yield body[: len(body) // 2]
    raise CutConnection()


def _embeddings_response(vectors: np.ndarray, model: str, encoding: str, prompt_tokens: int, extra_usage: dict | None = None) -> dict:
    usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens, **(extra_usage or {})}
    return {
        "id": str(uuid.uuid4()),
        "object": "list",
        "data": [{"index": i, "object": "embedding", "embedding": encode_vector(v, encoding)} for i, v in enumerate(vectors)],
        "model": model,
        "usage": usage,
    }


def _dimensions(entry: ModelEntry, requested: int | None) -> int:
    if requested is None:
        return entry.default_dimensions or 384
    if entry.max_dimensions and requested > entry.max_dimensions:
        raise errors.bad_request(
            f"'dimensions' must be between 1 and {entry.max_dimensions} for model {entry.name}.", param="dimensions"
        )
    return requested


# -- handlers -----------------------------------------------------------------------------------------


async def handle_chat(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    body = await _read_body(request, config)
    validate(ChatRequest, body, request.headers.get("extra-parameters"))
    entry = _resolve_model(state, style, path_model, body.get("model"), CHAT)
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    try:
        plan = plan_reply(body)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        # A request can pass validation and still carry a malformed JSON schema in `tools` or
        # `response_format` (e.g. "properties": "x"); that is the caller's error, not a 500.
        raise errors.bad_request(
            f"A JSON schema in 'tools' or 'response_format' is not valid ({type(exc).__name__})."
        ) from None
    if plan.prompt_tokens > config.context_window_tokens:
        raise errors.context_length_exceeded(config.context_window_tokens, plan.prompt_tokens)
    directives = plan.directives
    fault = directives.fault if directives.fault and _fault_applies(state, directives.fault, body, request.url.path) else None
    if fault is not None:
        if (status_error := _status_fault(fault)) is not None:
            raise status_error
        if fault.kind == "hang":
            await asyncio.sleep(fault.argument if fault.argument is not None else config.hang_seconds)
    request.state.model = entry.name
    request.state.stream = bool(body.get("stream"))
    if body.get("stream"):
        words_per_second = directives.words_per_second if directives.words_per_second is not None else config.words_per_second
        request.state.timing = StreamTiming()
        return StreamingResponse(
            _paced_stream(plan, entry.name, words_per_second, fault, request.state.timing),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    payload = completion_body(plan, entry.name)
    if fault is not None and fault.kind in ("cut", "nodone"):
        raw = JSONResponse(payload).body
        return StreamingResponse(_truncated_json(raw), media_type="application/json", headers={"Content-Length": str(len(raw))})
    return JSONResponse(payload)


async def handle_embeddings(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    body = await _read_body(request, config)
    parsed = validate(EmbeddingsRequest, body, request.headers.get("extra-parameters"))
    entry = _resolve_model(state, style, path_model, body.get("model"), EMBEDDINGS)
    texts = [parsed.input] if isinstance(parsed.input, str) else list(parsed.input)
    request.state.model, request.state.inputs = entry.name, len(texts)
    if config.embedding_rate_limit_first > 0:
        state.fault_counts["embeddings-429"] += 1
        if state.fault_counts["embeddings-429"] <= config.embedding_rate_limit_first:
            raise errors.rate_limited_ms(config.embedding_retry_after_ms)
    if not texts:
        raise errors.bad_request("'input' must contain at least one string.", param="input")
    if len(texts) > config.max_embedding_inputs:
        raise errors.bad_request(
            f"Too many inputs. The max number of inputs is {config.max_embedding_inputs}. "
            "We hope to increase the number of inputs per request soon.",
            param="input",
        )
    token_counts = [count_tokens(t) for t in texts]
    for index, (text, tokens) in enumerate(zip(texts, token_counts)):
        if not text.strip():
            raise errors.bad_request(f"'input[{index}]' is empty; every input must contain text.", param="input")
        if tokens > config.max_input_tokens:
            raise errors.context_length_exceeded(config.max_input_tokens, tokens)
    dimensions = _dimensions(entry, parsed.dimensions)
    vectors = await asyncio.to_thread(embed_texts_with, entry.name, texts, dimensions)
    return JSONResponse(_embeddings_response(vectors, entry.name, parsed.encoding_format or "float", sum(token_counts)))


async def handle_image_embeddings(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    body = await _read_body(request, config)
    parsed = validate(ImageEmbeddingsRequest, body, request.headers.get("extra-parameters"))
    entry = _resolve_model(state, style, path_model, body.get("model"), IMAGE_EMBEDDINGS)
    request.state.model, request.state.inputs = entry.name, len(parsed.input)
    if len(parsed.input) > config.max_embedding_inputs:
        raise errors.bad_request(f"Too many inputs. The max number of inputs is {config.max_embedding_inputs}.", param="input")
    dimensions = _dimensions(entry, parsed.dimensions)
    vectors = []
    for index, item in enumerate(parsed.input):
        try:
            vectors.append(embed_image(item.image, dimensions))
        except ImageDecodeError as exc:
            raise errors.bad_request(f"input[{index}].image: {exc}", param="input") from None
    prompt_tokens = 1000 * len(vectors) + sum(count_tokens(item.text or "") for item in parsed.input)
    return JSONResponse(
        _embeddings_response(np.stack(vectors), entry.name, parsed.encoding_format or "float", prompt_tokens, {"images": len(vectors)})
    )


async def handle_info(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    _check_auth(request, state.config, style)
    if style in (FOUNDRY, AZURE_OPENAI):
        raise errors.resource_not_found()
    name = path_model if style == SERVERLESS else DEFAULT_CHAT_MODEL
    entry = state.models.get(name or "")
    if entry is None:
        raise errors.plain_not_found()
    request.state.model = entry.name
    return JSONResponse(entry.info())


# -- application --------------------------------------------------------------------------------------

_PREFIXES = (
    ("", ROOT),
    ("/serverless/{path_model}", SERVERLESS),
    ("/models", FOUNDRY),
    ("/openai/deployments/{path_model}", AZURE_OPENAI),
)
_OPERATIONS = (
    ("/chat/completions", "POST", "chat", handle_chat),
    ("/embeddings", "POST", "embeddings", handle_embeddings),
    ("/images/embeddings", "POST", "image_embeddings", handle_image_embeddings),
    ("/info", "GET", "info", handle_info),
)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    state = ServerState(config=config, models={m.name: m for m in config.models})
    app = FastAPI(title="Local Azure AI Model Inference server", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.local = state

    def make_endpoint(handler, style: str, operation: str):
        async def endpoint(request: Request, path_model: str | None = None) -> Response:
            started = time.perf_counter()
            request.state.model, request.state.inputs, request.state.stream, request.state.timing = None, 0, False, None
            try:
                response = await handler(request, state, style, path_model)
            except AzureError as exc:
                response = exc.response()
            state.requests.append(
                RequestRecord(
                    method=request.method,
                    path=request.url.path,
                    style=style,
                    operation=operation,
                    model=request.state.model,
                    status=response.status_code,
                    inputs=request.state.inputs,
                    stream=request.state.stream,
                    timing=request.state.timing,
                )
            )
            response.headers.setdefault("x-request-id", str(uuid.uuid4()))
            response.headers["x-ms-local-elapsed-ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
            return response

        endpoint.__name__ = f"{style}_{operation}".replace("-", "_")
        return endpoint

    for prefix, style in _PREFIXES:
        for route, method, operation, handler in _OPERATIONS:
            app.add_api_route(prefix + route, make_endpoint(handler, style, operation), methods=[method])

    @app.get("/_local/stats")
    async def stats() -> dict[str, Any]:
        operations = collections.Counter(r.operation for r in state.requests)
        return {"requests": len(state.requests), "by_operation": dict(operations), "models": list(state.models)}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return errors.resource_not_found().response()
        return JSONResponse(errors.error_body(str(exc.status_code), str(exc.detail), exc.status_code), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, CutConnection):  # a cut is deliberate; uvicorn drops the connection
            logging.getLogger("localserver").exception("unexpected error")
        return errors.internal_error().response()

    return app
