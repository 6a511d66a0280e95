"""The OpenAI API's request rules and error shapes, for the `/openai/v1` and `/v1` routes.

The OpenAI API is stricter than the Azure AI Model Inference API in some places and looser in
others: it knows many more parameters (`n`, `logprobs`, `max_completion_tokens`, `reasoning_effort`,
`parallel_tool_calls`, `user`, `stream_options`, ...), refuses unknown ones with "Unrecognized request
argument supplied", checks that every `tool` message answers a preceding `tool_calls`, and words its
errors as `{"error": {"message", "type", "param", "code"}}` with its own codes
(`missing_required_parameter`, `invalid_type`, `unsupported_parameter`, `model_not_found`, ...).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ApiError
from .protocol import Message, ResponseFormat, ToolDefinition

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
MAX_STOP_SEQUENCES = 4
_ERROR_TYPES = {401: "invalid_request_error", 403: "invalid_request_error", 404: "invalid_request_error", 429: "requests"}


class OpenAIApiError(ApiError):
    """An error already in the OpenAI API's shape (left as it is by `as_openai`)."""


def openai_error(
    http_status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    error_type: str | None = "invalid_request_error",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> OpenAIApiError:
    return OpenAIApiError(
        http_status, {"error": {"message": message, "type": error_type, "param": param, "code": code, **extra}}, headers=headers
    )


def as_openai(error: ApiError) -> ApiError:
    """The same error in the OpenAI API's shape: the message, param and code of an Azure-shaped body kept."""
    if isinstance(error, OpenAIApiError):
        return error
    body = error.body
    message, param, code = str(body), None, None
    if isinstance(body, dict):
        inner = body["error"] if isinstance(body.get("error"), dict) else body
        message = str(inner.get("message") or message)
        param = inner.get("param") if isinstance(inner.get("param"), str) else None
        raw_code = inner.get("code")
        # Azure's codes that only repeat the status ("404") or the type are no OpenAI codes.
        if isinstance(raw_code, str) and not raw_code.isdigit() and raw_code != "invalid_request_error":
            code = raw_code
    error_type = "server_error" if error.status >= 500 else _ERROR_TYPES.get(error.status, "invalid_request_error")
    return openai_error(error.status, message, param=param, code=code, error_type=error_type, headers=error.headers)


# -- errors the OpenAI API words its own way ----------------------------------------------------------


def unauthorized() -> OpenAIApiError:
    message = "Incorrect API key provided. You can find your API key where your endpoint's keys are listed."
    return openai_error(401, message, code="invalid_api_key")


def model_not_found(name: str) -> OpenAIApiError:
    message = f"The model `{name}` does not exist or you do not have access to it."
    return openai_error(404, message, code="model_not_found")


def invalid_url(method: str, path: str) -> OpenAIApiError:
    return openai_error(404, f"Invalid URL ({method} {path})")


def unsupported_parameter(name: str, hint: str = "") -> OpenAIApiError:
    message = f"Unsupported parameter: '{name}' is not supported with this model." + (f" {hint}" if hint else "")
    return openai_error(400, message, param=name, code="unsupported_parameter")


def rate_limited(retry_after_seconds: int) -> OpenAIApiError:
    message = f"Rate limit reached for requests. Please try again in {retry_after_seconds}s."
    headers = {
        "retry-after": str(retry_after_seconds),
        "retry-after-ms": str(retry_after_seconds * 1000),
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{retry_after_seconds}s",
    }
    return openai_error(429, message, code="rate_limit_exceeded", error_type="requests", headers=headers)


def rate_limited_ms(retry_after_ms: int) -> OpenAIApiError:
    seconds = max(1, -(-retry_after_ms // 1000))
    error = rate_limited(seconds)
    error.headers["retry-after-ms"] = str(retry_after_ms)
    return error


def internal_error() -> OpenAIApiError:
    return openai_error(500, "The server had an error while processing your request. Sorry about that!", error_type="server_error")


def service_unavailable() -> OpenAIApiError:
    return openai_error(503, "The server is overloaded or not ready yet.", error_type="server_error")


def context_length_exceeded(limit: int, actual: int) -> OpenAIApiError:
    message = (
        f"This model's maximum context length is {limit} tokens. However, your messages resulted in {actual} tokens. "
        "Please reduce the length of the messages."
    )
    return openai_error(400, message, param="messages", code="context_length_exceeded")


def not_json() -> OpenAIApiError:
    message = (
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library "
        "correctly. The API expects a JSON payload, but what was sent was not valid JSON.)"
    )
    return openai_error(400, message)


# -- request models -----------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class StreamOptions(_Strict):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


# The parameters of `POST /chat/completions` (unknown ones are refused by `validate_openai`).
class ChatCompletionRequest(_Strict):
    messages: list[Message] = Field(min_length=1)
    model: str = Field(min_length=1)
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    n: int | None = Field(default=None, ge=1, le=128)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["auto", "none", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    logit_bias: dict[str, int] | None = None
    user: str | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    modalities: list[str] | None = None
    prediction: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    web_search_options: dict[str, Any] | None = None


class EmbeddingRequest(_Strict):
    input: str | list[str] | list[int] | list[list[int]]
    model: str = Field(min_length=1)
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64"] | None = None
    user: str | None = None


_TYPE_WORDS = {"float": "a decimal", "int": "an integer", "bool": "a boolean", "str": "a string", "list": "an array", "dict": "an object"}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        text = str(part)
        if isinstance(part, int):
            path += f"[{part}]"
        elif text.startswith(("function-", "union", "literal", "list[", "str", "int", "float", "dict[", "tagged")):
            continue
        else:
            path += ("." if path else "") + text
    return path or "body"


def _describe(error: ValidationError) -> OpenAIApiError:
    first = error.errors()[0]
    location = _location(first["loc"])
    kind = first["type"]
    value = first.get("input")
    context = first.get("ctx") or {}
    if kind == "missing":
        return openai_error(400, f"Missing required parameter: '{location}'.", param=location, code="missing_required_parameter")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        above = kind.startswith("less")
        limit = context.get("le", context.get("lt", context.get("ge", context.get("gt"))))
        number = "decimal" if isinstance(limit, float) else "integer"  # the field's type: float fields have float limits
        relation = f"<= {limit:g}" if above else f">= {limit:g}"
        message = f"Invalid '{location}': {number} {'above maximum' if above else 'below minimum'} value. Expected a value {relation}, but got {value} instead."
        return openai_error(400, message, param=location, code=f"{number}_{'above_max' if above else 'below_min'}_value")
    if kind == "too_short" and isinstance(value, (list, str)):
        message = f"Invalid '{location}': empty {'array' if isinstance(value, list) else 'string'}. Expected a value with minimum length {context.get('min_length', 1)}, but got an empty {'array' if isinstance(value, list) else 'string'} instead."
        return openai_error(400, message, param=location, code="empty_array" if isinstance(value, list) else "empty_string")
    if kind == "literal_error":
        expected = context.get("expected", "")
        return openai_error(400, f"Invalid value: {value!r}. Supported values are: {expected}.", param=location, code="invalid_value")
    if kind.endswith("_type") or kind in ("model_type", "dict_type", "list_type", "model_attributes_type"):
        wanted = next((words for name, words in _TYPE_WORDS.items() if kind.startswith(name)), "another type")
        message = f"Invalid type for '{location}': expected {wanted}, but got {_json_type(value)} instead."
        return openai_error(400, message, param=location, code="invalid_type")
    return openai_error(400, f"Invalid value for '{location}': {first['msg']}.", param=location, code="invalid_value")


def validate_openai(model: type[_Strict], body: dict[str, Any]) -> Any:
    """Validate `body`; unknown top-level keys are refused as the OpenAI API refuses them."""
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        raise _describe(exc) from None
    unknown = sorted((parsed.model_extra or {}).keys())
    if unknown:
        raise openai_error(400, f"Unrecognized request argument supplied: {unknown[0]}")
    return parsed


def check_chat_rules(parsed: ChatCompletionRequest) -> None:
    """What a schema cannot say: tool messages answer earlier tool calls, every call gets an answer,
    and `stop`, `top_logprobs` and the sampling numbers are within the API's limits."""
    open_calls: dict[str, int] = {}  # tool_call_id -> index of the assistant message that made it
    for index, message in enumerate(parsed.messages):
        if message.role == "tool":
            if not message.tool_call_id:
                raise openai_error(
                    400, f"Missing required parameter: 'messages[{index}].tool_call_id'.",
                    param=f"messages[{index}].tool_call_id", code="missing_required_parameter",
                )
            if message.tool_call_id not in open_calls:
                raise openai_error(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            del open_calls[message.tool_call_id]
            continue
        if open_calls:
            first = min(open_calls.values())
            raise openai_error(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
                f"The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
                param=f"messages.[{first}].role",
            )
        if message.role == "assistant":
            open_calls = {call.id: index for call in message.tool_calls or []}
    if open_calls:
        first = min(open_calls.values())
        raise openai_error(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
            f"The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
            param=f"messages.[{first}].role",
        )
    if isinstance(parsed.stop, list) and len(parsed.stop) > MAX_STOP_SEQUENCES:
        raise openai_error(
            400, f"Invalid 'stop': array too long. Expected an array with maximum length {MAX_STOP_SEQUENCES}, but got an array with length {len(parsed.stop)} instead.",
            param="stop", code="array_above_max_length",
        )
    if parsed.top_logprobs is not None and not parsed.logprobs:
        raise openai_error(400, "Invalid value for 'top_logprobs': requires 'logprobs' to be true.", param="top_logprobs")
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        value = getattr(parsed, name)
        if value is not None and not math.isfinite(value):
            raise openai_error(400, f"Invalid value for '{name}': must be a finite number.", param=name, code="invalid_value")
