"""Build JSON values that satisfy a JSON schema, filled from the user's words where possible.

Used by `local-chat` for tool-call arguments and for `json_schema` response formats.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_EXPRESSION = re.compile(r"[-+(]*\d[\d.\s]*(?:[-+*/^%×÷]\s*[-+(]*\s*\d[\d.\s)]*)+")
_TIMEZONE = re.compile(r"\b(?:[A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?|UTC|GMT)\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
# A property named like an origin takes the place after "from", one named like a destination the
# place after "to" ("flights from Seattle to Miami").
_ORIGIN_HINTS = ("origin", "from", "depart", "source")
_DESTINATION_HINTS = ("destination", "dest", "arriv", "target")
# Arrays get at most this many items, whatever `minItems` asks: nested arrays multiply, and a
# schema must not be able to make the server build billions of values.
MAX_ARRAY_ITEMS = 8
STOPWORDS = frozenset(
    "a an and are as at be by can do for from how i in is it me my of on or please show tell that the "
    "to was what when where which who why will with you your now today current find get give".split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9_']+", text)


def extract_expression(text: str) -> str | None:
    match = _EXPRESSION.search(text)
    return match.group(0).strip().rstrip("?.!") if match else None


def _string_value(name: str, schema: dict[str, Any], text: str) -> str:
    lowered = name.lower()
    if enum := schema.get("enum"):
        for option in enum:
            if str(option).lower() in text.lower():
                return option
        return enum[0]
    if any(hint in lowered for hint in ("expression", "expr", "formula", "calculation")):
        return extract_expression(text) or text.strip()
    if any(hint in lowered for hint in ("timezone", "time_zone", "tz", "zone")):
        match = _TIMEZONE.search(text)
        return match.group(0) if match else "UTC"
    if "date" in lowered:
        match = _DATE.search(text)
        return match.group(0) if match else "today"
    if any(hint in lowered for hint in ("city", "location", "place", "country", "name")):
        preposition = None
        if any(hint in lowered for hint in _ORIGIN_HINTS):
            preposition = "from"
        elif any(hint in lowered for hint in _DESTINATION_HINTS):
            preposition = "to"
        if preposition and (match := re.search(rf"\b{preposition}\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)", text)):
            return match.group(1)
        entities = [e for e in _CAPITALISED.findall(text) if e.lower() not in STOPWORDS]
        if entities:
            return entities[0]
    if any(hint in lowered for hint in ("query", "search", "text", "keyword", "term", "q")):
        keywords = [w for w in _words(text) if w.lower() not in STOPWORDS]
        return " ".join(keywords) or text.strip()
    entities = _CAPITALISED.findall(text)
    if entities:
        return entities[0]
    keywords = [w for w in _words(text) if w.lower() not in STOPWORDS]
    return " ".join(keywords[:6]) or "example"


def _resolve_ref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/$defs/X`, `#/definitions/X`, as Pydantic emits) within the root schema."""
    for _ in range(8):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return schema
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
    return schema


def value_for_schema(
    schema: dict[str, Any] | None, text: str, name: str = "value", depth: int = 0, root: dict[str, Any] | None = None
) -> Any:
    """A value of the schema's type; objects get every required property (and the others at top level)."""
    schema = schema or {}
    root = schema if root is None else root
    if depth > 2 * 6:  # a recursive `$ref` (e.g. {"anyOf": [{"$ref": "#"}]}) must not recurse forever
        return None
    schema = _resolve_ref(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema and schema.get("type") != "string":
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if schema.get(combinator):
            branch = schema[combinator][0]
            return value_for_schema(branch, text, name, depth + 1 if "$ref" in branch else depth, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if depth > 6:
        return None if kind == "null" else ({} if kind == "object" else [] if kind == "array" else "")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties") or {}
        required = list(schema.get("required") or [])
        chosen = required + [key for key in properties if key not in required and depth == 0]
        value = {key: value_for_schema(properties.get(key, {}), text, key, depth + 1, root) for key in chosen}
        # Several number properties ("x" and "y" of "5 * 4") take the numbers of the text in turn.
        numeric = [key for key in chosen if _resolve_ref(properties.get(key, {}), root).get("type") in ("number", "integer")]
        numbers = [x for x in map(float, _NUMBER.findall(text)) if math.isfinite(x)]
        if len(numeric) > 1 and len(numbers) > 1:
            for key, number in zip(numeric, numbers):
                value[key] = value_for_schema({**_resolve_ref(properties[key], root)}, str(number), key, depth + 1, root)
        return value
    if kind == "array":
        count = min(max(1, int(schema.get("minItems", 1))), MAX_ARRAY_ITEMS)
        return [value_for_schema(schema.get("items") or {}, text, name, depth + 1, root) for _ in range(count)]
    if kind in ("number", "integer"):
        numbers = [x for x in map(float, _NUMBER.findall(text)) if math.isfinite(x)]
        number = numbers[0] if numbers else float(schema.get("minimum", 0))
        if "minimum" in schema:
            number = max(number, float(schema["minimum"]))
        if "maximum" in schema:
            number = min(number, float(schema["maximum"]))
        return int(number) if kind == "integer" else number
    if kind == "boolean":
        return bool(re.search(r"\b(yes|true|on|enable)\b", text, re.IGNORECASE))
    if kind == "null":
        return None
    string = _string_value(name, schema, text)
    if max_length := schema.get("maxLength"):
        string = string[: int(max_length)]
    return string
