"""The OpenAI v1 API: `/openai/v1/...` as Azure AI Foundry serves it, and `/v1/...` as OpenAI-compatible servers do.

Routes: `chat/completions`, `embeddings`, `models` (list and retrieve), plus the Azure resource's
deployments list at `GET /openai/deployments?api-version=...` (what the portal fills its model picker
from; `/openai/v1/models` is the model catalog, not the deployments). Requests follow the OpenAI API's
rules (`openai_protocol.py`), errors its shape, chunks its framing (`openai_framing.py`).

Model names: the openai package's own examples name models such as `gpt-4o-2024-08-06`, so a chat or
embeddings model name the server does not know is answered by a local model of that kind
(`local-reasoner` for names of models that show their reasoning, such as `DeepSeek-R1`), and the response's `model`
says which one answered. With `ServerConfig(strict_models=True)` unknown names get 404 `model_not_found`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from . import errors, openai_framing
from .catalog import (
    CHAT,
    DEFAULT_CHAT_MODEL,
    DEFAULT_EMBEDDINGS_MODEL,
    EMBEDDINGS,
    OPERATION_NAMES,
    REASONING_CHAT_MODEL,
    RESPONSES_ONLY_MODEL,
    ModelEntry,
)
from .chat_model import ChatPlan, plan_reply
from .directives import Fault
from .embedding_models import embed_texts_with, encode_vector
from .errors import ApiError
from .openai_protocol import (
    ChatCompletionRequest,
    EmbeddingRequest,
    OpenAIApiError,
    as_openai,
    check_chat_rules,
    context_length_exceeded,
    internal_error,
    model_not_found,
    openai_error,
    rate_limited,
    rate_limited_ms,
    service_unavailable,
    unauthorized,
    unsupported_parameter,
    validate_openai,
)
from .serving import (
    ServerState,
    StreamTiming,
    apply_fault,
    dimensions_for,
    fault_applies,
    paced_stream,
    presented_key_matches,
    read_body,
    truncated_json,
)
from .tokens import count_tokens

OPENAI_V1, OPENAI_COMPATIBLE, AZURE_DEPLOYMENTS = "openai-v1", "openai-compatible", "azure-deployments"
OPENAI_STYLES = frozenset({OPENAI_V1, OPENAI_COMPATIBLE})
MODELS_CREATED = 1_767_225_600  # 2026-01-01: the local models' fixed "created" time
DEPLOYMENTS_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
# Reasoning-model names: DeepSeek-R1 (and *reason*) show their reasoning on chat completions
# (`reasoning_content`); OpenAI's o-series and gpt-5 keep it hidden there (only `reasoning_tokens`).
# codex and deep-research answer only on the Responses API.
_VISIBLE_REASONING_NAMES = re.compile(r"deepseek-r1|reason", re.IGNORECASE)
_HIDDEN_REASONING_NAMES = re.compile(r"^(o\d|gpt-5)", re.IGNORECASE)
_RESPONSES_ONLY_NAMES = re.compile(r"codex|deep-research|-pro\b", re.IGNORECASE)
_EMBEDDING_NAMES = re.compile(r"embed|minilm|bge-|e5-|gte-", re.IGNORECASE)


def is_openai_path(path: str) -> bool:
    return path.startswith(("/openai/v1/", "/v1/")) or path in ("/openai/v1", "/v1")


class AzureOpenAIEmbeddingRequest(EmbeddingRequest):
    """Azure OpenAI deployments take the OpenAI embeddings parameters; the path names the model."""

    model: str | None = None  # type: ignore[assignment]


def check_auth(request: Request, state: ServerState) -> None:
    if not presented_key_matches(request, state.config):
        raise unauthorized()


@dataclass(frozen=True)
class Served:
    """The local model answering a requested name, and whether its reasoning shows in chat completions."""

    entry: ModelEntry
    shows_reasoning: bool


def resolve_model(state: ServerState, name: str, kind: str) -> Served:
    """The local model that answers `name` (see the module docstring)."""
    entry = state.models.get(name)
    shows_reasoning = True
    if entry is None:
        if state.config.strict_models:
            raise model_not_found(name)
        if kind == CHAT and _EMBEDDING_NAMES.search(name):
            raise as_openai(errors.operation_not_supported(OPERATION_NAMES[kind], name))
        if kind == CHAT and _RESPONSES_ONLY_NAMES.search(name):
            entry = state.models[RESPONSES_ONLY_MODEL]
        elif kind == CHAT and (_VISIBLE_REASONING_NAMES.search(name) or _HIDDEN_REASONING_NAMES.search(name)):
            entry = state.models[REASONING_CHAT_MODEL]
            shows_reasoning = not _HIDDEN_REASONING_NAMES.search(name)
        elif kind == CHAT:
            entry = state.models[DEFAULT_CHAT_MODEL]
        else:
            entry = state.models[DEFAULT_EMBEDDINGS_MODEL]
    if entry.kind != kind:
        raise as_openai(errors.operation_not_supported(OPERATION_NAMES[kind], entry.name))
    return Served(entry, shows_reasoning)


def responses_only(name: str) -> OpenAIApiError:
    return openai_error(400, "This model is only supported in v1/responses and not in v1/chat/completions.", param="model")


def _content_filtered() -> ApiError:
    inner = errors.content_filtered().body["error"]
    return openai_error(
        400, inner["message"], param="prompt", code="content_filter", error_type=None, status=400, innererror=inner["innererror"]
    )


def status_fault(fault: Fault) -> ApiError | None:
    return {
        "429": lambda: rate_limited(1),
        "500": internal_error,
        "503": service_unavailable,
        "401": unauthorized,
        "filter": _content_filtered,
        "failed": internal_error,  # chat completions have no `failed` status: the request fails
    }.get(fault.kind, lambda: None)()


# -- chat completions ---------------------------------------------------------------------------------


def hide_reasoning(plan: ChatPlan) -> ChatPlan:
    """The plan as an OpenAI reasoning model answers on chat completions: the thinking is counted
    (`reasoning_tokens`), never sent."""
    return dataclasses.replace(plan, reasoning_chunks=[], hidden_reasoning_tokens=plan.reasoning_tokens)


def _check_model_parameters(entry: ModelEntry, body: dict[str, Any]) -> None:
    """Reasoning models take `max_completion_tokens` and `reasoning_effort`, and no `max_tokens` or
    `logprobs`; other chat models refuse `reasoning_effort`. The OpenAI API's own words."""
    if entry.reasoning:
        if body.get("max_tokens") is not None:
            raise unsupported_parameter("max_tokens", "Use 'max_completion_tokens' instead.")
        if body.get("logprobs"):
            raise unsupported_parameter("logprobs")
    elif body.get("reasoning_effort") is not None:
        raise unsupported_parameter("reasoning_effort")


async def handle_chat(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    check_auth(request, state)
    body = await read_body(request, config)
    parsed = validate_openai(ChatCompletionRequest, body)
    check_chat_rules(parsed)
    if parsed.stream_options is not None and not parsed.stream:
        raise openai_error(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options")
    served = resolve_model(state, parsed.model, CHAT)
    entry = served.entry
    if entry.responses_only:
        raise responses_only(parsed.model)
    _check_model_parameters(entry, body)
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    plans = []
    try:
        for choice in range(parsed.n or 1):
            variant = body if choice == 0 else {**body, "seed": (parsed.seed or 0) + choice}
            plan = plan_reply(variant, reasons=entry.reasoning, reasoning_effort=parsed.reasoning_effort)
            if parsed.parallel_tool_calls is False:
                plan.tool_calls = plan.tool_calls[:1]
            plans.append(plan)
        shown = plans if served.shows_reasoning else [hide_reasoning(plan) for plan in plans]
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
        raise openai_error(400, f"A JSON schema in 'tools' or 'response_format' is not valid ({type(exc).__name__}).") from None
    if plans[0].prompt_tokens > config.context_window_tokens:
        raise context_length_exceeded(config.context_window_tokens, plans[0].prompt_tokens)
    directives = plans[0].directives
    fault = directives.fault if directives.fault and fault_applies(state, directives.fault, body, request.url.path) else None
    await apply_fault(fault, status_fault, config)
    request.state.model = entry.name
    request.state.stream = bool(parsed.stream)
    logprobs, top_logprobs = bool(parsed.logprobs), parsed.top_logprobs or 0
    if parsed.stream:
        include_usage = bool(parsed.stream_options and parsed.stream_options.include_usage)
        words_per_second = directives.words_per_second if directives.words_per_second is not None else config.words_per_second
        request.state.timing = StreamTiming()

        def events(with_finish: bool):
            return openai_framing.stream_events(
                shown, entry.name, include_usage=include_usage, logprobs=logprobs, top_logprobs=top_logprobs, with_finish=with_finish
            )

        return StreamingResponse(
            paced_stream(events, words_per_second, fault, request.state.timing),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    payload = openai_framing.completion_body(shown, entry.name, logprobs=logprobs, top_logprobs=top_logprobs)
    if fault is not None and fault.kind in ("cut", "nodone"):
        raw = JSONResponse(payload).body
        return StreamingResponse(truncated_json(raw), media_type="application/json", headers={"Content-Length": str(len(raw))})
    return JSONResponse(payload)


# -- embeddings ---------------------------------------------------------------------------------------


def _texts(raw: Any) -> list[str]:
    """`input` as texts: a string, strings, or token arrays (each token id stands for one word)."""
    if isinstance(raw, str):
        return [raw]
    if raw and all(isinstance(item, int) for item in raw):
        return [" ".join(f"t{token}" for token in raw)]
    return [item if isinstance(item, str) else " ".join(f"t{token}" for token in item) for item in raw]


def _invalid_input() -> ApiError:
    return openai_error(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")


async def handle_embeddings(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    config = state.config
    check_auth(request, state)
    body = await read_body(request, config)
    parsed = validate_openai(EmbeddingRequest, body)
    entry = resolve_model(state, parsed.model, EMBEDDINGS).entry
    texts = _texts(parsed.input)
    request.state.model, request.state.inputs = entry.name, len(texts)
    if config.embedding_rate_limit_first > 0:
        state.fault_counts["embeddings-429"] += 1
        if state.fault_counts["embeddings-429"] <= config.embedding_rate_limit_first:
            raise rate_limited_ms(config.embedding_retry_after_ms)
    if not texts or any(not text.strip() for text in texts):
        raise _invalid_input()
    if len(texts) > config.max_embedding_inputs:
        raise openai_error(400, f"Too many inputs. The max number of inputs is {config.max_embedding_inputs}.", param="input")
    token_counts = [count_tokens(t) for t in texts]
    for tokens in token_counts:
        if tokens > config.max_input_tokens:
            raise context_length_exceeded(config.max_input_tokens, tokens)
    dimensions = dimensions_for(entry, parsed.dimensions)
    if config.embedding_latency_ms > 0:
        await asyncio.sleep(config.embedding_latency_ms / 1000)
    vectors = await asyncio.to_thread(embed_texts_with, entry.name, texts, dimensions)
    encoding = parsed.encoding_format or "float"
    prompt_tokens = sum(token_counts)
    return JSONResponse(
        {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": encode_vector(v, encoding)} for i, v in enumerate(vectors)],
            "model": entry.name,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


# -- models and deployments ---------------------------------------------------------------------------


def _servable(state: ServerState) -> list[ModelEntry]:
    return [entry for entry in state.models.values() if entry.kind in (CHAT, EMBEDDINGS)]


def _model_object(entry: ModelEntry, style: str) -> dict[str, Any]:
    model: dict[str, Any] = {"id": entry.name, "object": "model", "created": MODELS_CREATED, "owned_by": "localserver"}
    if style == OPENAI_V1:  # Foundry's catalog entries say what each model can do
        model["capabilities"] = {
            "chat_completion": entry.kind == CHAT,
            "embeddings": entry.kind == EMBEDDINGS,
            "completion": False,
            "fine_tune": False,
            "inference": True,
        }
        model["lifecycle_status"] = "generally-available"
    return model


async def handle_models(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    check_auth(request, state)
    return JSONResponse({"object": "list", "data": [_model_object(entry, style) for entry in _servable(state)]})


async def handle_model(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    check_auth(request, state)
    entry = state.models.get(path_model or "")
    if entry is None or entry not in _servable(state):
        raise model_not_found(path_model or "")
    request.state.model = entry.name
    return JSONResponse(_model_object(entry, style))


async def handle_deployments(request: Request, state: ServerState, style: str, path_model: str | None) -> Response:
    """`GET /openai/deployments?api-version=2023-03-15-preview`: the resource's deployments (Azure's shape)."""
    if not presented_key_matches(request, state.config):
        raise errors.unauthorized(openai_style=True)
    if not DEPLOYMENTS_API_VERSION.match(request.query_params.get("api-version", "")):
        raise errors.resource_not_found()
    data = [
        {
            "scale_settings": {"scale_type": "standard"},
            "model": entry.name,
            "owner": "organization-owner",
            "id": entry.name,
            "status": "succeeded",
            "created_at": MODELS_CREATED,
            "updated_at": MODELS_CREATED,
            "object": "deployment",
        }
        for entry in _servable(state)
    ]
    return JSONResponse({"data": data, "object": "list"})


ROUTES = tuple(
    (prefix + route, method, style, operation, handler)
    for prefix, style in (("/openai/v1", OPENAI_V1), ("/v1", OPENAI_COMPATIBLE))
    for route, method, operation, handler in (
        ("/chat/completions", "POST", "chat", handle_chat),
        ("/embeddings", "POST", "embeddings", handle_embeddings),
        ("/models", "GET", "models", handle_models),
        ("/models/{path_model:path}", "GET", "model", handle_model),
    )
) + (("/openai/deployments", "GET", AZURE_DEPLOYMENTS, "deployments", handle_deployments),)
