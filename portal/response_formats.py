"""Structured output: the response format a conversation asks for, validated before sending, checked after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema

TEXT, JSON_OBJECT, JSON_SCHEMA = "text", "json_object", "json_schema"


class SchemaError(ValueError):
    """The pasted JSON schema is unusable; the message says why."""


def build_response_format(kind: str, schema_text: str = "", name: str = "response") -> dict[str, Any] | None:
    if kind == TEXT:
        return None
    if kind == JSON_OBJECT:
        return {"type": JSON_OBJECT}
    if kind != JSON_SCHEMA:
        raise SchemaError(f"unknown response format {kind!r}")
    try:
        schema = json.loads(schema_text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"The schema is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    if not isinstance(schema, dict):
        raise SchemaError("The schema must be a JSON object, e.g. {\"type\": \"object\", \"properties\": {...}}.")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"The schema is not a valid JSON Schema: {exc.message}.") from None
    safe_name = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)[:64] or "response"
    return {"type": JSON_SCHEMA, "json_schema": {"name": safe_name, "schema": schema, "strict": False}}


@dataclass(frozen=True)
class StructuredCheck:
    parsed: Any | None
    valid_json: bool
    schema_errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.valid_json and not self.schema_errors


def check_reply(content: str, response_format: dict[str, Any] | None) -> StructuredCheck | None:
    """For JSON formats: does the reply parse, and does it satisfy the schema?"""
    if not response_format or response_format.get("type") not in (JSON_OBJECT, JSON_SCHEMA):
        return None
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError:
        return StructuredCheck(None, False)
    if response_format["type"] == JSON_SCHEMA:
        validator = jsonschema.Draft202012Validator(response_format["json_schema"]["schema"])
        errors = tuple(sorted(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in validator.iter_errors(parsed)))
        return StructuredCheck(parsed, True, errors)
    return StructuredCheck(parsed, isinstance(parsed, dict), () if isinstance(parsed, dict) else ("the reply is not a JSON object",))
