"""Request validation: the shapes the Azure AI Model Inference API accepts.

Validation errors become a 400 whose message names the offending field, never a 500.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ApiError, bad_request, parameter_not_supported


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ImageUrl(_Strict):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Strict):
    type: Literal["image_url"]
    image_url: ImageUrl


class InputAudio(_Strict):
    data: str
    format: str


class AudioPart(_Strict):
    type: Literal["input_audio"]
    input_audio: InputAudio


ContentPart = Union[TextPart, ImagePart, AudioPart]


class FunctionCall(_Strict):
    name: str
    arguments: str


class ToolCallModel(_Strict):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(_Strict):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCallModel] | None = None
    tool_call_id: str | None = None


class FunctionDefinition(_Strict):
    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolDefinition(_Strict):
    type: Literal["function"]
    function: FunctionDefinition


class JsonSchemaFormat(_Strict):
    name: str
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


class ResponseFormat(_Strict):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class ChatRequest(_Strict):
    messages: list[Message] = Field(min_length=1)
    model: str | None = None
    stream: bool | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=0)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["auto", "none", "required"] | dict[str, Any] | None = None


class EmbeddingsRequest(_Strict):
    input: str | list[str]
    model: str | None = None
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64", "int8", "uint8", "binary", "ubinary"] | None = None
    input_type: Literal["text", "query", "document"] | None = None


class ImageInput(_Strict):
    image: str
    text: str | None = None


class ImageEmbeddingsRequest(_Strict):
    input: list[ImageInput] = Field(min_length=1)
    model: str | None = None
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64", "int8", "uint8", "binary", "ubinary"] | None = None
    input_type: Literal["text", "query", "document"] | None = None


def parse_json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise bad_request("The request body is empty; a JSON object is required.")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise bad_request("The request body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _describe(error: ValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"] if not str(part).startswith(("function-", "union")))
    location = location or "body"
    if first["type"] == "missing":
        return f"'{location}' is a required property.", location
    return f"Invalid value for '{location}': {first['msg']}.", location


_Request = TypeVar("_Request", bound=_Strict)


def validate(model: type[_Request], body: dict[str, Any], extra_parameters: str | None) -> _Request:
    """Validate `body`; unknown root keys are refused unless `extra-parameters` allows them."""
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        message, param = _describe(exc)
        raise bad_request(message, param=param) from None
    unknown = list((parsed.model_extra or {}).keys())
    mode = (extra_parameters or "error").lower()
    if unknown and mode not in ("pass-through", "drop"):
        raise parameter_not_supported(unknown)
    return parsed


__all__ = ["ApiError", "ChatRequest", "EmbeddingsRequest", "ImageEmbeddingsRequest", "parse_json_body", "validate"]
