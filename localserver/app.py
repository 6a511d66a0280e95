"""The FastAPI application: routes for every endpoint style, auth, faults and request accounting.

Endpoint styles, all on one port:
- ``/``                           serverless endpoint of `local-chat` (also answers `/embeddings`
                                  with `local-embed` and `/images/embeddings` with `local-image-embed`)
- ``/serverless/<model>``         single-model endpoint; `/info` describes that model
- ``/models``                     Azure AI Foundry style: `model` required in the body, `/info` 404
- ``/openai/deployments/<name>``  Azure OpenAI style: deployment in the path, `api-version` required,
                                  the OpenAI parameters accepted, `/info` 404
- ``/openai/v1``                  Foundry's OpenAI v1 API (and ``/v1``, an OpenAI-compatible server):
                                  `openai_routes.py`; the deployments list at ``/openai/deployments``
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import time
import uuid
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse

from . import errors, openai_protocol, openai_routes, responses
from .catalog import (
    CHAT,
    DEFAULT_CHAT_MODEL,
    DEFAULT_EMBEDDINGS_MODEL,
    DEFAULT_IMAGE_EMBEDDINGS_MODEL,
    EMBEDDINGS,
    IMAGE_EMBEDDINGS,
    OPERATION_NAMES,
    ModelEntry,
)
from .chat_model import plan_reply
from .directives import Fault
from .embedding_models import ImageDecodeError, embed_image, embed_texts_with
from .errors import ApiError
from .framing import completion_body, stream_events
from .protocol import ChatRequest, EmbeddingsRequest, ImageEmbeddingsRequest, validate
from .serving import (
    DEFAULT_WORDS_PER_SECOND,
    CutConnection,
    RequestRecord,
    ServerConfig,
    ServerState,
    StreamTiming,
    apply_fault,
    dimensions_for,
    embeddings_response,
    fault_applies,
    paced_stream,
    presented_key_matches,
    read_body,
    truncated_json,
)
from .tokens import count_tokens

ROOT, SERVERLESS, FOUNDRY, AZURE_OPENAI = "root", "serverless", "foundry", "azure-openai"
# Azure OpenAI answers a request without a valid `api-version` with 404 "Resource not found".
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$|^(v1|preview|latest)$")

__all__ = ["DEFAULT_WORDS_PER_SECOND", "ServerConfig", "ServerState", "create_app"]


def _check_auth(request: Request, config: ServerConfig, style: str) -> None:
    if not presented_key_matches(request, config):
        raise errors.unauthorized(openai_style=style == AZURE_OPENAI)


def _check_api_version(request: Request, style: str) -> None:
    if style == AZURE_OPENAI and not _API_VERSION.match(request.query_params.get("api-version", "")):
        raise errors.resource_not_found()


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


def status_fault(fault: Fault) -> ApiError | None:
    return {
        "429": lambda: errors.rate_limited(retry_after=1),
        "500": errors.internal_error,
        "503": errors.service_unavailable,
        "401": lambda: errors.unauthorized(openai_style=False),
        "filter": errors.content_filtered,
        "failed": errors.internal_error,  # the Responses API's `response.failed`; chat has no such status
    }.get(fault.kind, lambda: None)()


class _AzureOpenAIChatRequest(openai_protocol.ChatCompletionRequest):
    """Azure OpenAI deployments take the OpenAI parameters; the deployment in the path names the model."""

    model: str | None = None  # type: ignore[assignment]


# -- handlers -----------------------------------------------------------------------------------------


async def handle_chat(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    _check_api_version(request, style)
    body = await read_body(request, config)
    if style == AZURE_OPENAI:
        parsed = openai_protocol.validate_openai(_AzureOpenAIChatRequest, body)
        openai_protocol.check_chat_rules(parsed)
    else:
        validate(ChatRequest, body, request.headers.get("extra-parameters"))
    entry = _resolve_model(state, style, path_model, body.get("model"), CHAT)
    if entry.responses_only:  # the Azure AI Model Inference API has no Responses API to send it to
        raise errors.operation_not_supported(OPERATION_NAMES[CHAT], entry.name)
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    try:
        plan = plan_reply(body, reasons=entry.reasoning)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        # A request can pass validation and still carry a malformed JSON schema in `tools` or
        # `response_format` (e.g. "properties": "x"); that is the caller's error, not a 500.
        raise errors.bad_request(
            f"A JSON schema in 'tools' or 'response_format' is not valid ({type(exc).__name__})."
        ) from None
    if plan.prompt_tokens > config.context_window_tokens:
        raise errors.context_length_exceeded(config.context_window_tokens, plan.prompt_tokens)
    directives = plan.directives
    fault = directives.fault if directives.fault and fault_applies(state, directives.fault, body, request.url.path) else None
    await apply_fault(fault, status_fault, config)
    request.state.model = entry.name
    request.state.stream = bool(body.get("stream"))
    if body.get("stream"):
        words_per_second = directives.words_per_second if directives.words_per_second is not None else config.words_per_second
        request.state.timing = StreamTiming()
        return StreamingResponse(
            paced_stream(lambda with_finish: stream_events(plan, entry.name, with_finish=with_finish), words_per_second, fault, request.state.timing),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    payload = completion_body(plan, entry.name)
    if fault is not None and fault.kind in ("cut", "nodone"):
        raw = JSONResponse(payload).body
        return StreamingResponse(truncated_json(raw), media_type="application/json", headers={"Content-Length": str(len(raw))})
    return JSONResponse(payload)


async def handle_embeddings(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    _check_api_version(request, style)
    body = await read_body(request, config)
    if style == AZURE_OPENAI:
        parsed = openai_protocol.validate_openai(openai_routes.AzureOpenAIEmbeddingRequest, body)
    else:
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
    dimensions = dimensions_for(entry, parsed.dimensions)
    if config.embedding_latency_ms > 0:
        await asyncio.sleep(config.embedding_latency_ms / 1000)
    vectors = await asyncio.to_thread(embed_texts_with, entry.name, texts, dimensions)
    return JSONResponse(embeddings_response(vectors, entry.name, parsed.encoding_format or "float", sum(token_counts)))


async def handle_image_embeddings(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    _check_auth(request, config, style)
    _check_api_version(request, style)
    body = await read_body(request, config)
    parsed = validate(ImageEmbeddingsRequest, body, request.headers.get("extra-parameters"))
    entry = _resolve_model(state, style, path_model, body.get("model"), IMAGE_EMBEDDINGS)
    request.state.model, request.state.inputs = entry.name, len(parsed.input)
    if len(parsed.input) > config.max_embedding_inputs:
        raise errors.bad_request(f"Too many inputs. The max number of inputs is {config.max_embedding_inputs}.", param="input")
    dimensions = dimensions_for(entry, parsed.dimensions)
    vectors = []
    for index, item in enumerate(parsed.input):
        try:
            vectors.append(embed_image(item.image, dimensions))
        except ImageDecodeError as exc:
            raise errors.bad_request(f"input[{index}].image: {exc}", param="input") from None
    prompt_tokens = 1000 * len(vectors) + sum(count_tokens(item.text or "") for item in parsed.input)
    return JSONResponse(
        embeddings_response(np.stack(vectors), entry.name, parsed.encoding_format or "float", prompt_tokens, {"images": len(vectors)})
    )


async def handle_info(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    _check_auth(request, state.config, style)
    _check_api_version(request, style)
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
        openai_errors = style in openai_routes.OPENAI_STYLES

        async def endpoint(request: Request, path_model: str | None = None) -> Response:
            started = time.perf_counter()
            request.state.model, request.state.inputs, request.state.stream, request.state.timing = None, 0, False, None
            try:
                response = await handler(request, state, style, path_model)
            except ApiError as exc:
                response = (openai_protocol.as_openai(exc) if openai_errors else exc).response()
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
                    query=request.url.query,
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
    for route, method, style, operation, handler in openai_routes.ROUTES + responses.ROUTES:
        app.add_api_route(route, make_endpoint(handler, style, operation), methods=[method])

    @app.get("/_local/stats")
    async def stats() -> dict[str, Any]:
        operations = collections.Counter(r.operation for r in state.requests)
        return {"requests": len(state.requests), "by_operation": dict(operations), "models": list(state.models)}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if openai_routes.is_openai_path(request.url.path):
            if exc.status_code in (404, 405):
                return openai_protocol.invalid_url(request.method, request.url.path).response()
            return openai_protocol.openai_error(exc.status_code, str(exc.detail)).response()
        if exc.status_code == 404:
            return errors.resource_not_found().response()
        return JSONResponse(errors.error_body(str(exc.status_code), str(exc.detail), exc.status_code), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, CutConnection):  # a cut is deliberate; uvicorn drops the connection
            logging.getLogger("localserver").exception("unexpected error")
        if openai_routes.is_openai_path(request.url.path):
            return openai_protocol.internal_error().response()
        return errors.internal_error().response()

    return app
