"""The `azure-ai-inference` backend: the ONLY module that imports `azure.ai.inference`.

Microsoft retired the SDK and the `/models` API on 2026-08-26; it still serves serverless and managed
compute endpoints, Azure OpenAI deployment URLs with dated api-versions and GitHub Models. Everything it
does for the app goes through the `InferenceBackend` protocol (`protocol.py`). Clients are long-lived:
one backend per connection, built once and shared (the SDK's sync clients are safe to share between
threads). azure-core's own retries are switched off (`retry_total=0`) because the app decides what to
retry and shows the user the wait: azure-core would retry 500/503/504 three times on its own, and any
status that carries a `Retry-After`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from azure.ai.inference import ChatCompletionsClient, EmbeddingsClient, load_client
from azure.ai.inference import aio as inference_aio
from azure.ai.inference.models import (
    AssistantMessage,
    AudioContentItem,
    ChatCompletionsToolCall,
    ChatCompletionsToolDefinition,
    DeveloperMessage,
    FunctionCall,
    FunctionDefinition,
    ImageContentItem,
    ImageUrl,
    InputAudio,
    JsonSchemaFormat,
    SystemMessage,
    TextContentItem,
    ToolMessage,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from .credentials import AUTH_ENTRA, AUTH_KEY, TokenCredentialFactory, credential_for, default_token_credential
from .endpoints import API_AZURE_INFERENCE
from .errors import ErrorKind, InferenceError
from .protocol import AsyncEmbed
from .reasoning import ThinkSplitter
from .types import (
    WIRE_CHAT_COMPLETIONS,
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
from .wire_formats import decode_embeddings

if TYPE_CHECKING:
    from portal.settings import Connection

logger = logging.getLogger(__name__)

CONNECTION_TIMEOUT_SECONDS = 10.0


def client_auth(
    connection: Connection, token_credential_factory: TokenCredentialFactory = default_token_credential, is_async: bool = False
) -> tuple[Any, dict[str, Any]]:
    """The SDK credential and client keyword arguments for the connection's credential plan.

    API key -> AzureKeyCredential (sends `Authorization: Bearer` and `api-key`); Entra ID -> a token
    credential with the plan's scope; none -> "" (no auth header at all).
    """
    plan = credential_for(connection)
    if plan.method == AUTH_KEY and plan.api_key is not None:
        return AzureKeyCredential(plan.api_key.reveal()), {}
    if plan.method == AUTH_ENTRA:
        return token_credential_factory(is_async), {"credential_scopes": [plan.scope]}
    return "", {}


# -- errors -----------------------------------------------------------------------------------------


def _retry_after(error: HttpResponseError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue
    return None


def _unwrap(message: str) -> str:
    """Some services put a JSON document in the error message (Azure's 503 "no capacity")."""
    if message.lstrip().startswith("{"):
        try:
            inner = json.loads(message)
        except ValueError:
            return message
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
    return message


def _service_message(error: AzureError) -> str:
    odata = getattr(error, "error", None)
    if odata is not None and getattr(odata, "message", None):
        return _unwrap(str(odata.message))
    text = str(getattr(error, "message", None) or error)
    for line in text.splitlines():
        if line.startswith("Message: "):
            return line[len("Message: ") :]
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:300]


def to_inference_error(error: BaseException) -> InferenceError:
    """Map an SDK / azure-core / transport exception to the app's error with an actionable message."""
    if isinstance(error, InferenceError):
        return error
    if isinstance(error, ClientAuthenticationError):
        return InferenceError(ErrorKind.AUTH, "The endpoint refused the credentials: " + _service_message(error), 401, detail=_service_message(error))
    if isinstance(error, ResourceNotFoundError):
        return InferenceError(ErrorKind.NOT_FOUND, "Not found: " + _service_message(error), 404, detail=_service_message(error))
    if isinstance(error, IncompleteReadError):
        return InferenceError(ErrorKind.STREAM_CUT, "The connection closed before the reply was complete")
    if isinstance(error, (ServiceRequestTimeoutError, ServiceResponseTimeoutError)):
        return InferenceError(ErrorKind.TIMEOUT, "The request timed out")
    if isinstance(error, ServiceRequestError):
        return InferenceError(ErrorKind.CONNECTION, "Could not connect to the endpoint: " + _service_message(error), detail=_service_message(error))
    if isinstance(error, ServiceResponseError):
        return InferenceError(ErrorKind.STREAM_CUT, "The connection dropped while reading the reply")
    if isinstance(error, HttpResponseError):
        status = error.status_code
        message = _service_message(error)
        if status is None:
            return InferenceError(ErrorKind.STREAM_CUT, "The connection closed before the reply was complete")
        if status == 429:
            return InferenceError(ErrorKind.RATE_LIMITED, "Rate limited: " + message, 429, _retry_after(error), detail=message)
        if status in (408, 504):
            return InferenceError(ErrorKind.TIMEOUT, "The service timed out: " + message, status, detail=message)
        if status >= 500:
            return InferenceError(ErrorKind.SERVER, "The model service failed: " + message, status, _retry_after(error), detail=message)
        code = str(getattr(getattr(error, "error", None), "code", "") or "")
        if code == "content_filter" or "content management policy" in message:
            return InferenceError(ErrorKind.CONTENT_FILTER, "Blocked by the content filter: " + message, status, detail=message)
        if status == 401:
            return InferenceError(ErrorKind.AUTH, "The endpoint refused the credentials: " + message, status, detail=message)
        if status == 404:
            return InferenceError(ErrorKind.NOT_FOUND, "Not found: " + message, status, detail=message)
        return InferenceError(ErrorKind.BAD_REQUEST, "The endpoint rejected the request: " + message, status, detail=message)
    if isinstance(error, ValueError) and "SSE event not supported" in str(error):
        return InferenceError(ErrorKind.STREAM_CUT, "The endpoint sent a stream this app cannot read", detail="the endpoint sent a stream this app cannot read")
    if isinstance(error, AzureError):
        return InferenceError(ErrorKind.UNKNOWN, _service_message(error))
    return InferenceError(ErrorKind.UNKNOWN, f"{type(error).__name__}: {error}")


# -- message conversion ---------------------------------------------------------------------------------


def _user_content(message: ChatMessage) -> Any:
    if not message.parts:
        return message.content
    items: list[Any] = [TextContentItem(text=message.content)] if message.content else []
    for part in message.parts:
        if part.get("type") == "image_url":
            image = part["image_url"]
            items.append(ImageContentItem(image_url=ImageUrl(url=image["url"], detail=image.get("detail"))))
        elif part.get("type") == "input_audio":
            audio = part["input_audio"]
            items.append(AudioContentItem(input_audio=InputAudio(data=audio["data"], format=audio["format"])))
    return items


def to_sdk_message(message: ChatMessage) -> Any:
    if message.role == "system":
        return SystemMessage(content=message.content)
    if message.role == "developer":
        return DeveloperMessage(content=message.content)
    if message.role == "user":
        return UserMessage(content=_user_content(message))
    if message.role == "tool":
        return ToolMessage(content=message.content, tool_call_id=message.tool_call_id or "")
    tool_calls = [
        ChatCompletionsToolCall(id=call.id, function=FunctionCall(name=call.name, arguments=call.arguments))
        for call in message.tool_calls
    ]
    return AssistantMessage(content=message.content or None, tool_calls=tool_calls or None)


def _call_params(options: ChatOptions, send_model: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        **options.sampling_request(WIRE_CHAT_COMPLETIONS),
        "stop": list(options.stop) or None,
        "model": options.model if send_model else None,
    }
    if options.response_format:
        kind = options.response_format.get("type")
        if kind == "json_schema":
            spec = options.response_format["json_schema"]
            params["response_format"] = JsonSchemaFormat(
                name=spec["name"], schema=spec["schema"], description=spec.get("description"), strict=spec.get("strict")
            )
        elif kind in ("json_object", "text"):
            params["response_format"] = kind
    if options.tools:
        params["tools"] = [
            ChatCompletionsToolDefinition(
                function=FunctionDefinition(
                    name=tool["function"]["name"],
                    description=tool["function"].get("description"),
                    parameters=tool["function"].get("parameters"),
                )
            )
            for tool in options.tools
        ]
        params["tool_choice"] = options.tool_choice
    return {k: v for k, v in params.items() if v is not None}


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    details = raw.get("completion_tokens_details") if hasattr(raw, "get") else None
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
        reasoning_tokens=int(reasoning) if reasoning is not None else None,
    )


def _finish(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


# -- the backend --------------------------------------------------------------------------------------


class AzureInferenceBackend:
    """InferenceBackend over azure-ai-inference for one connection."""

    def __init__(
        self,
        connection: Connection,
        *,
        read_timeout_seconds: float = 120.0,
        chat_defaults: dict[str, Any] | None = None,
        token_credential_factory: TokenCredentialFactory = default_token_credential,
    ):
        self.connection = connection
        self._token_credential_factory = token_credential_factory
        self._credential, auth_kwargs = client_auth(connection, token_credential_factory)
        self._client_kwargs: dict[str, Any] = {
            **auth_kwargs,
            "retry_total": 0,
            "connection_timeout": CONNECTION_TIMEOUT_SECONDS,
            "read_timeout": read_timeout_seconds,
        }
        if connection.api_version:
            self._client_kwargs["api_version"] = connection.api_version
        self._send_model = connection.traits.sends_model
        defaults = {k: v for k, v in (chat_defaults or {}).items() if v is not None}
        if self._send_model and connection.chat_model:
            defaults.setdefault("model", connection.chat_model)
        self._chat = ChatCompletionsClient(connection.endpoint, self._credential, **defaults, **self._client_kwargs)
        self._embeddings: EmbeddingsClient | None = None

    def features(self) -> EndpointFeatures:
        traits = self.connection.traits
        return EndpointFeatures(
            api=API_AZURE_INFERENCE,
            model_info=traits.has_info,
            client_type_detection=traits.has_info,
            model_listing=None,
            embeddings_input_type=self.connection.kind.value != "azure_openai",  # Azure OpenAI refuses it (OpenAI rules)
        )

    # chat

    def stream_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        sdk_messages = [to_sdk_message(m) for m in messages]
        try:
            response = self._chat.complete(stream=True, messages=sdk_messages, **_call_params(options, self._send_model))
        except Exception as exc:  # noqa: BLE001 - every failure becomes an InferenceError
            raise to_inference_error(exc) from exc
        finish_reason = model = usage = None
        thinking = ThinkSplitter()  # DeepSeek-R1 and others answer `<think>...</think>` first
        try:
            for update in response:
                # SDK models are mappings over the received JSON: reading keys skips the per-attribute
                # deserialisation that typed access repeats on every chunk (about 10 us a chunk,
                # 15% of a fast 4,000-chunk stream; `python -m bench --only 1`).
                model = update.get("model") or model
                if update.get("usage") is not None:
                    usage = _usage(update.get("usage"))
                for choice in update.get("choices") or []:
                    delta = choice.get("delta") or {}
                    if content := delta.get("content"):
                        if thinking.passthrough:
                            yield TextDelta(content)
                        else:
                            reasoning, answer = thinking.feed(content)
                            if reasoning:
                                yield ReasoningDelta(reasoning)
                            if answer:
                                yield TextDelta(answer)
                    if reasoning_content := delta.get("reasoning_content"):
                        yield ReasoningDelta(reasoning_content)
                    for position, call in enumerate(delta.get("tool_calls") or []):
                        function = call.get("function") or {}
                        yield ToolCallDelta(
                            index=int(call.get("index", position)),
                            id=call.get("id") or None,
                            name=function.get("name") or None,
                            arguments=function.get("arguments") or "",
                        )
                    if choice.get("finish_reason") is not None:
                        finish_reason = _finish(choice["finish_reason"])
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        finally:
            with contextlib.suppress(Exception):
                response.close()
        reasoning, answer = thinking.flush()
        if reasoning:
            yield ReasoningDelta(reasoning)
        if answer:
            yield TextDelta(answer)
        yield StreamEnd(finish_reason=finish_reason, model=model, usage=usage)

    def complete_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> ChatReply:
        try:
            result = self._chat.complete(messages=[to_sdk_message(m) for m in messages], **_call_params(options, self._send_model))
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        choice = result.choices[0]
        calls = tuple(
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in choice.message.tool_calls or []
        )
        splitter = ThinkSplitter()
        reasoning, answer = splitter.feed(choice.message.content or "")
        rest_reasoning, rest_answer = splitter.flush()
        return ChatReply(
            content=answer + rest_answer,
            finish_reason=_finish(choice.finish_reason),
            model=result.model,
            usage=_usage(result.get("usage")),
            tool_calls=calls,
            reasoning=reasoning + rest_reasoning,
        )

    # embeddings

    def _embeddings_client(self) -> EmbeddingsClient:
        if self._embeddings is None:
            defaults: dict[str, Any] = (
                {"model": self.connection.embeddings_model} if self._send_model and self.connection.embeddings_model else {}
            )
            self._embeddings = EmbeddingsClient(self.connection.endpoint, self._credential, **defaults, **self._client_kwargs)
        return self._embeddings

    @staticmethod
    def _embed_params(options: EmbeddingOptions, send_model: bool) -> dict[str, Any]:
        params = {
            "dimensions": options.dimensions,
            "input_type": options.input_type,
            "encoding_format": options.encoding_format,
            "model": options.model if send_model else None,
        }
        return {k: v for k, v in params.items() if v is not None}

    def embed(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
        try:
            # stream=True: the generated operation returns the body's bytes instead of deserialising it
            # (the SDK's annotation says EmbeddingsResult whatever `stream` is, hence the cast)
            chunks = cast(
                "Iterator[bytes]",
                self._embeddings_client().embed(input=list(texts), stream=True, **self._embed_params(options, self._send_model)),
            )
            body = b"".join(chunks)
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        return decode_embeddings(body)

    @contextlib.asynccontextmanager
    async def embedding_session(self) -> AsyncIterator[AsyncEmbed]:
        """An async embed function on one aio client bound to this event loop (aiohttp sessions cannot cross loops)."""
        credential, auth_kwargs = client_auth(self.connection, self._token_credential_factory, is_async=True)
        kwargs = {**self._client_kwargs, **auth_kwargs}
        defaults: dict[str, Any] = (
            {"model": self.connection.embeddings_model} if self._send_model and self.connection.embeddings_model else {}
        )
        async with inference_aio.EmbeddingsClient(self.connection.endpoint, credential, **defaults, **kwargs) as client:

            async def embed(texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
                try:
                    chunks = cast(  # stream=True: bytes, as in embed() above
                        "AsyncIterator[bytes]",
                        await client.embed(input=list(texts), stream=True, **self._embed_params(options, self._send_model)),
                    )
                    body = b"".join([chunk async for chunk in chunks])
                except Exception as exc:  # noqa: BLE001
                    raise to_inference_error(exc) from exc
                return decode_embeddings(body)

            yield embed

    async def embed_async(self, texts: Sequence[str], options: EmbeddingOptions) -> EmbeddingBatch:
        async with self.embedding_session() as embed:
            return await embed(texts, options)

    # what the endpoint serves

    def list_models(self) -> ModelListing:
        raise InferenceError(
            ErrorKind.NOT_FOUND,
            "The Azure AI Model Inference API has no list of deployments; set chat_models and embeddings_models for this connection",
        )

    def model_info(self) -> ModelInfo:
        """GET /info through the chat client (the SDK caches the answer on the client)."""
        try:
            info = self._chat.get_model_info()
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        return ModelInfo(str(info.model_name), str(info.model_type), str(info.model_provider_name))

    def detect_client_type(self) -> str:
        """What `load_client` makes of this endpoint: the client class name it returns."""
        try:
            client = load_client(self.connection.endpoint, self._credential, **self._client_kwargs)
        except Exception as exc:  # noqa: BLE001
            raise to_inference_error(exc) from exc
        with contextlib.suppress(Exception):
            client.close()
        return type(client).__name__

    def close(self) -> None:
        for client in (self._chat, self._embeddings):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()


# -- tracing ----------------------------------------------------------------------------------------


def instrument(content_recording: bool) -> None:
    """Switch on the SDK's OpenTelemetry spans (`chat <model>`); message content only if asked."""
    from azure.ai.inference.tracing import AIInferenceInstrumentor
    from azure.core.settings import settings as azure_settings

    azure_settings.tracing_implementation = "opentelemetry"
    # Called again on an instrumented SDK, instrument() only changes the content-recording setting.
    AIInferenceInstrumentor().instrument(enable_content_recording=content_recording)


def uninstrument() -> None:
    from azure.ai.inference.tracing import AIInferenceInstrumentor
    from azure.core.settings import settings as azure_settings

    instrumentor = AIInferenceInstrumentor()
    if instrumentor.is_instrumented():
        instrumentor.uninstrument()
    azure_settings.tracing_implementation = None  # or azure-core keeps making spans for every HTTP call
