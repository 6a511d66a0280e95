"""The `openai` package backend: the ONLY module that imports `openai`.

Two wires: Chat Completions, and the Responses API (`responses_wire.py` translates) for connections
set to `wire = "responses"`, for the models in `responses_models`, for model names of the
Responses-only families (codex, deep-research, ...), and for any model whose chat completion was
refused as "only supported in v1/responses" (remembered per model).

Serves Foundry's OpenAI v1 API (`https://<resource>.openai.azure.com/openai/v1/`, the successor of the
retired Azure AI Model Inference API), OpenAI itself, OpenAI-compatible servers (Ollama, vLLM, LM
Studio, llama.cpp) and, when a connection asks for `api = "openai"`, Azure OpenAI deployment URLs
(through the package's `AzureOpenAI` client). One sync client per connection, long-lived and shared
between sessions (the package's clients are thread-safe); an async client per embeddings job, bound to
that job's event loop. The package's own retries are off (`max_retries=0`): the app decides what to
retry and shows the user the wait.

Endpoints differ in what they accept, so the backend adapts per model and remembers it: a 400 that
refuses `max_tokens` (reasoning models want `max_completion_tokens`), refuses `max_completion_tokens`
(older servers) or refuses `stream_options` is retried once with the other form, before anything
has streamed.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import httpx2  # the openai package's HTTP client: a raw response for the listing routes it has no method for
import openai
from openai import AsyncOpenAI, OpenAI
from openai.resources.responses import Responses

from .credentials import (
    AUTH_ENTRA,
    AUTH_KEY,
    TokenCredentialFactory,
    bearer_token_provider,
    credential_for,
    default_token_credential,
)
from .endpoints import (
    API_OPENAI,
    LISTS_DEPLOYMENTS,
    LISTS_MODELS,
    EndpointKind,
    deployment_name,
    needs_responses_api,
    resource_root,
)
from .errors import ErrorKind, InferenceError
from .protocol import AsyncEmbed
from .reasoning import ThinkSplitter
from .responses_wire import PREVIOUS_RESPONSE_GONE, StreamReader, continuation, request_params
from .types import (
    WIRE_CHAT_COMPLETIONS,
    WIRE_RESPONSES,
    ChatEvent,
    ChatMessage,
    ChatOptions,
    ChatReply,
    EmbeddingBatch,
    EmbeddingOptions,
    EndpointFeatures,
    ModelInfo,
    ModelListing,
    ReasoningDelta,
    StreamEnd,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from .wire_formats import decode_embeddings, parse_listing

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

    from portal.settings import Connection

CONNECTION_TIMEOUT_SECONDS = 10.0
DEPLOYMENTS_API_VERSION = "2023-03-15-preview"  # the data-plane deployments list still answers with it (2026-08)
NO_KEY = "no-key"  # servers without auth (Ollama, vLLM): the package insists on some key
AZURE_KINDS = (EndpointKind.FOUNDRY_V1, EndpointKind.AZURE_OPENAI)
# Where `max_completion_tokens` is the parameter every model takes; elsewhere `max_tokens` is, until refused.
MAX_COMPLETION_TOKENS_KINDS = (EndpointKind.FOUNDRY_V1, EndpointKind.OPENAI)
RETIRED_API = (
    "`/info` and `load_client()` belong to the Azure AI Model Inference API, which Microsoft retired on 2026-08-26; "
    "the OpenAI v1 API has neither. The deployments list and the probes below say what this endpoint serves."
)


# -- errors -------------------------------------------------------------------------------------------


def _service_message(error: openai.APIError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str) and message:
            return message
    return str(error.message or type(error).__name__)[:300]


def _error_code(error: openai.APIError) -> str:
    body = error.body
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    code = getattr(error, "code", None) or (inner.get("code") if isinstance(inner, dict) else None)
    return str(code or "")


def _retry_after(error: openai.APIStatusError) -> float | None:
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue
    return None


def to_inference_error(error: BaseException, *, streaming: bool = False) -> InferenceError:
    """Map an openai package exception to the app's error with an actionable message.

    `streaming`: the reply had started, so a dropped connection cut it (what arrived is kept)."""
    if isinstance(error, InferenceError):
        return error
    if isinstance(error, openai.APITimeoutError):
        return InferenceError(ErrorKind.TIMEOUT, "The request timed out")
    if isinstance(error, openai.APIConnectionError):
        if streaming:
            return InferenceError(ErrorKind.STREAM_CUT, "The connection closed before the reply was complete")
        cause = error.__cause__
        detail = f": {cause}" if cause else ""
        return InferenceError(ErrorKind.CONNECTION, f"Could not connect to the endpoint{detail}", detail=str(cause) if cause else None)
    if isinstance(error, openai.APIStatusError):
        status, message = error.status_code, _service_message(error)
        if status == 401:
            return InferenceError(ErrorKind.AUTH, "The endpoint refused the credentials: " + message, status, detail=message)
        if status == 403:
            return InferenceError(
                ErrorKind.AUTH,
                "The endpoint refused access (the identity may lack a role such as Cognitive Services OpenAI User): " + message,
                status,
                detail=message,
            )
        if status == 404:
            return InferenceError(ErrorKind.NOT_FOUND, "Not found: " + message, status, detail=message)
        if status == 429:
            return InferenceError(ErrorKind.RATE_LIMITED, "Rate limited: " + message, status, _retry_after(error), detail=message)
        if status in (408, 504):
            return InferenceError(ErrorKind.TIMEOUT, "The service timed out: " + message, status, detail=message)
        if status >= 500:
            return InferenceError(ErrorKind.SERVER, "The model service failed: " + message, status, _retry_after(error), detail=message)
        if _error_code(error) == "content_filter" or "content management policy" in message:
            return InferenceError(ErrorKind.CONTENT_FILTER, "Blocked by the content filter: " + message, status, detail=message)
        return InferenceError(ErrorKind.BAD_REQUEST, "The endpoint rejected the request: " + message, status, detail=message)
    if isinstance(error, openai.APIError):  # an error event inside the stream
        kind = ErrorKind.STREAM_CUT if streaming else ErrorKind.SERVER
        return InferenceError(kind, "The endpoint reported an error: " + _service_message(error), detail=_service_message(error))
    if isinstance(error, openai.OpenAIError):
        return InferenceError(ErrorKind.CONFIG, str(error))
    return InferenceError(ErrorKind.UNKNOWN, f"{type(error).__name__}: {error}")


# -- messages and parameters --------------------------------------------------------------------------


def to_openai_message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "user":
        if not message.parts:
            return {"role": "user", "content": message.content}
        parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
        return {"role": "user", "content": parts + [dict(part) for part in message.parts]}
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.role == "assistant":
        payload: dict[str, Any] = {"role": "assistant", "content": message.content or None}
        if message.tool_calls:
            payload["tool_calls"] = [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call in message.tool_calls
            ]
        return payload
    return {"role": message.role, "content": message.content}


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    details = getattr(raw, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    return Usage(
        prompt_tokens=int(raw.prompt_tokens or 0),
        completion_tokens=int(raw.completion_tokens or 0),
        reasoning_tokens=int(reasoning) if reasoning is not None else None,
    )


def _extra_reasoning(delta: Any) -> str | None:
    """`reasoning_content` (DeepSeek-R1 on Foundry, vLLM) or `reasoning` (newer vLLM, Ollama): not in the
    package's types, so they sit in the model's extra fields."""
    extra = delta.__pydantic_extra__
    if not extra:
        return None
    return extra.get("reasoning_content") or extra.get("reasoning") or None


# Adaptations one model needed, remembered per backend (one per connection).
# Request parameters the Responses API takes but this SDK's `responses.create()` does not name
# (presence_penalty and frequency_penalty in openai 3.60) go in the body as they are.
_RESPONSES_CREATE_PARAMETERS = frozenset(inspect.signature(Responses.create).parameters)


def _responses_create_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    named = {name: value for name, value in params.items() if name in _RESPONSES_CREATE_PARAMETERS}
    extra = {name: value for name, value in params.items() if name not in _RESPONSES_CREATE_PARAMETERS}
    return {**named, "extra_body": extra} if extra else named


USE_MAX_COMPLETION_TOKENS, USE_MAX_TOKENS, NO_STREAM_OPTIONS = "max_completion_tokens", "max_tokens", "no_stream_options"


def _adaptation_for(error: openai.BadRequestError, sent: dict[str, Any]) -> str | None:
    """Which retry a 400 asks for, if it refuses a parameter the app chose on its own."""
    text = f"{error.body} {error.message}".lower()
    param = ""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        param = str((inner or {}).get("param") or "").lower()
    if "max_tokens" in sent and (param == "max_tokens" or "'max_tokens'" in text or "max_completion_tokens" in text):
        return USE_MAX_COMPLETION_TOKENS
    if "max_completion_tokens" in sent and (param == "max_completion_tokens" or "max_completion_tokens" in text):
        return USE_MAX_TOKENS
    if "stream_options" in sent and (param == "stream_options" or "stream_options" in text):
        return NO_STREAM_OPTIONS
    return None


class OpenAIBackend:
    """InferenceBackend over the openai package for one connection."""

    def __init__(
        self,
        connection: Connection,
        *,
        read_timeout_seconds: float = 120.0,
        token_credential_factory: TokenCredentialFactory = default_token_credential,
    ):
        self.connection = connection
        self._plan = credential_for(connection)
        self._token_credential_factory = token_credential_factory
        self._timeout = openai.Timeout(read_timeout_seconds, connect=CONNECTION_TIMEOUT_SECONDS)
        self._adaptations: dict[str, set[str]] = {}
        self._responses_models: set[str] = set(connection.responses_models)  # grows when chat completions refuse a model
        self._lock = threading.Lock()
        self._client: OpenAI = self._make_client(is_async=False)

    # clients

    def _make_client(self, *, is_async: bool) -> Any:
        connection = self.connection
        headers: dict[str, str] = {}
        api_key: Any = NO_KEY
        token_provider = None
        if self._plan.method == AUTH_KEY and self._plan.api_key is not None:
            api_key = self._plan.api_key.reveal()
            if connection.kind in AZURE_KINDS:
                headers["api-key"] = api_key  # Azure's own header, beside the package's Bearer
        elif self._plan.method == AUTH_ENTRA:
            assert self._plan.scope is not None
            token_provider = bearer_token_provider(self._token_credential_factory(is_async), self._plan.scope, is_async)
            api_key = token_provider
        common: dict[str, Any] = {"max_retries": 0, "timeout": self._timeout, "default_headers": headers or None}
        if connection.kind == EndpointKind.AZURE_OPENAI:
            azure_class = openai.AsyncAzureOpenAI if is_async else openai.AzureOpenAI
            auth = {"azure_ad_token_provider": token_provider} if token_provider is not None else {"api_key": api_key}
            return azure_class(
                azure_endpoint=resource_root(connection.endpoint),
                azure_deployment=deployment_name(connection.endpoint),
                api_version=connection.api_version,
                **auth,
                **common,
            )
        query = {"api-version": connection.api_version} if connection.api_version else None
        client_class = AsyncOpenAI if is_async else OpenAI
        return client_class(base_url=connection.endpoint.rstrip("/") + "/", api_key=api_key, default_query=query, **common)

    def features(self) -> EndpointFeatures:
        listing = LISTS_DEPLOYMENTS if self.connection.kind == EndpointKind.AZURE_OPENAI else self.connection.traits.model_listing
        return EndpointFeatures(
            api=API_OPENAI,
            model_info=False,
            client_type_detection=False,
            model_listing=listing,
            embeddings_input_type=False,
            wires=(WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES),
        )

    def wire_for(self, model: str | None) -> str:
        """The wire a model's replies go over (see the module docstring)."""
        if self.connection.wire == WIRE_RESPONSES or (model and (model in self._responses_models or needs_responses_api(model))):
            return WIRE_RESPONSES
        return WIRE_CHAT_COMPLETIONS

    def _chat_model(self, requested: str | None) -> str:
        model = requested or self.connection.chat_model or deployment_name(self.connection.endpoint)
        if not model:
            raise InferenceError(
                ErrorKind.CONFIG,
                f"Choose a model or deployment for connection '{self.connection.name}' (chat_model in its settings, or the model picker)",
            )
        return model

    # chat

    def _chat_params(self, model: str, options: ChatOptions, *, stream: bool) -> dict[str, Any]:
        adaptations = self._adaptations.get(model, set())
        sampling = options.sampling_request(WIRE_CHAT_COMPLETIONS)
        max_tokens = sampling.pop("max_tokens", None)
        params: dict[str, Any] = {
            "model": model,
            **sampling,
            "stop": list(options.stop) or None,
            "response_format": options.response_format,
            "reasoning_effort": options.reasoning_effort,
        }
        if max_tokens is not None:
            prefers_new = self.connection.kind in MAX_COMPLETION_TOKENS_KINDS
            use_new = USE_MAX_COMPLETION_TOKENS in adaptations or (prefers_new and USE_MAX_TOKENS not in adaptations)
            params["max_completion_tokens" if use_new else "max_tokens"] = max_tokens
        if options.tools:
            params["tools"] = [dict(tool) for tool in options.tools]
            params["tool_choice"] = options.tool_choice
        if stream:
            params["stream"] = True
            if NO_STREAM_OPTIONS not in adaptations:
                params["stream_options"] = {"include_usage": True}
        return {k: v for k, v in params.items() if v is not None}

    def _adapt(self, model: str, adaptation: str) -> None:
        with self._lock:
            found = self._adaptations.setdefault(model, set())
            found.discard(USE_MAX_TOKENS if adaptation == USE_MAX_COMPLETION_TOKENS else USE_MAX_COMPLETION_TOKENS)
            found.add(adaptation)

    def _create(self, messages: Sequence[ChatMessage], options: ChatOptions, *, stream: bool) -> Any:
        model = self._chat_model(options.model)
        # Plain dicts in the wire shape of the package's message TypedDicts (a role is a str here, not a Literal)
        payload = cast("list[ChatCompletionMessageParam]", [to_openai_message(m) for m in messages])
        for attempt in range(3):  # at most two adaptations (tokens parameter, stream_options)
            params = self._chat_params(model, options, stream=stream)
            try:
                return self._client.chat.completions.create(messages=payload, **params)
            except openai.BadRequestError as exc:
                adaptation = _adaptation_for(exc, params)
                if adaptation is None or attempt == 2:
                    raise to_inference_error(exc) from exc
                self._adapt(model, adaptation)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an InferenceError
                raise to_inference_error(exc) from exc
        raise AssertionError("unreachable")

    def stream_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        model = self._chat_model(options.model)
        if self.wire_for(model) == WIRE_RESPONSES:
            yield from self._stream_responses(model, messages, options)
            return
        try:
            stream = self._create(messages, options, stream=True)
        except InferenceError as exc:
            if not self._learn_responses_only(model, exc):
                raise
            yield from self._stream_responses(model, messages, options)
            return
        finish_reason = answered_by = None
        usage: Usage | None = None
        thinking = ThinkSplitter()  # DeepSeek-R1 and others may answer `<think>...</think>` first
        try:
            for chunk in stream:
                answered_by = chunk.model or answered_by
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    if content := delta.content:
                        if thinking.passthrough:
                            yield TextDelta(content)
                        else:
                            reasoning, answer = thinking.feed(content)
                            if reasoning:
                                yield ReasoningDelta(reasoning)
                            if answer:
                                yield TextDelta(answer)
                    if reasoning_text := _extra_reasoning(delta):
                        yield ReasoningDelta(reasoning_text)
                    for position, call in enumerate(delta.tool_calls or ()):
                        function = call.function
                        yield ToolCallDelta(
                            index=call.index if call.index is not None else position,
                            id=call.id or None,
                            name=(function.name if function else None) or None,
                            arguments=(function.arguments if function else None) or "",
                        )
                    if choice.finish_reason is not None:
                        finish_reason = choice.finish_reason
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc, streaming=True) from exc
        finally:
            with contextlib.suppress(Exception):
                stream.close()
        reasoning, answer = thinking.flush()
        if reasoning:
            yield ReasoningDelta(reasoning)
        if answer:
            yield TextDelta(answer)
        yield StreamEnd(finish_reason=finish_reason, model=answered_by, usage=usage)

    def complete_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> ChatReply:
        model = self._chat_model(options.model)
        if self.wire_for(model) == WIRE_RESPONSES:
            return self._complete_responses(model, messages, options)
        try:
            result = self._create(messages, options, stream=False)
        except InferenceError as exc:
            if not self._learn_responses_only(model, exc):
                raise
            return self._complete_responses(model, messages, options)
        choice = result.choices[0]
        message = choice.message
        calls = tuple(
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in message.tool_calls or ()
            if getattr(call, "function", None) is not None
        )
        splitter = ThinkSplitter()
        reasoning, answer = splitter.feed(message.content or "")
        rest_reasoning, rest_answer = splitter.flush()
        return ChatReply(
            content=answer + rest_answer,
            finish_reason=choice.finish_reason,
            model=result.model,
            usage=_usage(result.usage),
            tool_calls=calls,
            reasoning=(_extra_reasoning(message) or "") + reasoning + rest_reasoning,
        )

    # the Responses API

    def _learn_responses_only(self, model: str, error: InferenceError) -> bool:
        """A chat completion refused because the model answers only on the Responses API: remember it."""
        if error.kind != ErrorKind.BAD_REQUEST or "only supported in v1/responses" not in error.message:
            return False
        with self._lock:
            self._responses_models.add(model)
        return True

    def _create_response(self, model: str, messages: Sequence[ChatMessage], options: ChatOptions, *, stream: bool) -> Any:
        """Create a response; with stored responses, continue the last one (`previous_response_id`), and
        when the service no longer has it (expired after 30 days, or deleted), send the whole history."""
        store = self.connection.store
        previous = continuation(messages)[0] if store else None
        while True:
            params = request_params(model, messages, options, store=store, previous_response_id=previous)
            try:
                return self._client.responses.create(stream=stream, **_responses_create_kwargs(params))
            except openai.NotFoundError as exc:
                if previous is not None and (_error_code(exc) == PREVIOUS_RESPONSE_GONE or "previous_response_id" in str(exc.body)):
                    previous = None  # gone: fall back to the history the portal keeps
                    continue
                raise to_inference_error(exc) from exc
            except Exception as exc:  # noqa: BLE001
                raise to_inference_error(exc) from exc

    def _stream_responses(self, model: str, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        stream = self._create_response(model, messages, options, stream=True)
        reader = StreamReader()
        try:
            yield from reader.events(stream)
        except InferenceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc, streaming=True) from exc
        finally:
            with contextlib.suppress(Exception):
                stream.close()

    def _complete_responses(self, model: str, messages: Sequence[ChatMessage], options: ChatOptions) -> ChatReply:
        response = self._create_response(model, messages, options, stream=False)
        if response.status == "failed":
            error = getattr(getattr(response, "error", None), "message", None) or "the response failed"
            raise InferenceError(ErrorKind.SERVER, "The model service reported the response as failed: " + error, detail="the response failed: " + error)
        end = StreamReader().end(response)
        calls, reasoning = [], []
        for item in response.output:
            if item.type == "function_call":
                calls.append(ToolCall(id=item.call_id, name=item.name, arguments=item.arguments))
            elif item.type == "reasoning":
                reasoning += [part.text for part in item.summary or ()]
        return ChatReply(
            content=response.output_text or "",
            finish_reason=end.finish_reason,
            model=end.model,
            usage=end.usage,
            tool_calls=tuple(calls),
            reasoning="\n\n".join(reasoning),
            response_id=end.response_id,
        )

    # embeddings

    def _embed_params(self, texts: Sequence[str], options: EmbeddingOptions) -> dict[str, Any]:
        model = options.model or self.connection.embeddings_model or deployment_name(self.connection.endpoint)
        if not model:
            raise InferenceError(
                ErrorKind.CONFIG,
                f"Choose an embeddings model or deployment for connection '{self.connection.name}' (embeddings_model in its settings)",
            )
        params: dict[str, Any] = {"model": model, "input": list(texts), "encoding_format": options.encoding_format}
        if options.dimensions is not None:
            params["dimensions"] = options.dimensions
        return params

    def embed(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
        params = self._embed_params(texts, options)
        try:
            # The raw body, through the client's low-level `post`: the typed result builds an object per
            # vector (and turns base64 into Python floats), and OpenTelemetry's openai instrumentation
            # breaks `embeddings.with_raw_response` (it reads `.model` off the raw response).
            response = self._client.post("/embeddings", body=params, cast_to=httpx2.Response)
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        return decode_embeddings(response.content)

    @contextlib.asynccontextmanager
    async def embedding_session(self) -> AsyncIterator[AsyncEmbed]:
        client: AsyncOpenAI = self._make_client(is_async=True)
        try:

            async def embed(texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
                params = self._embed_params(texts, options)
                try:
                    response = await client.post("/embeddings", body=params, cast_to=httpx2.Response)
                except Exception as exc:  # noqa: BLE001
                    raise to_inference_error(exc) from exc
                return decode_embeddings(response.content)

            yield embed
        finally:
            await client.close()

    async def embed_async(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
        async with self.embedding_session() as embed:
            return await embed(texts, options)

    # what the endpoint serves

    def list_models(self) -> ModelListing:
        listing = self.features().model_listing
        if listing == LISTS_DEPLOYMENTS:
            url, params = resource_root(self.connection.endpoint) + "/openai/deployments", {"api-version": DEPLOYMENTS_API_VERSION}
        elif listing == LISTS_MODELS:
            url, params = "models", {}
        else:
            raise InferenceError(ErrorKind.NOT_FOUND, "This endpoint cannot list its models")
        try:
            response = self._client.get(url, cast_to=httpx2.Response, options={"params": params})
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        return parse_listing(response.content, listing)

    def model_info(self) -> ModelInfo:
        raise InferenceError(ErrorKind.NOT_FOUND, RETIRED_API)

    def detect_client_type(self) -> str:
        raise InferenceError(ErrorKind.CONFIG, RETIRED_API)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()


# -- tracing ------------------------------------------------------------------------------------------


def instrument(content_recording: bool) -> None:
    """OpenTelemetry's contrib instrumentation for the openai package (`chat <model>` and embeddings spans)."""
    import os

    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    # Read when the instrumentor starts; message content goes on the span itself, or nowhere.
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY" if content_recording else "NO_CONTENT"
    instrumentor = OpenAIInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument()


def uninstrument() -> None:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
