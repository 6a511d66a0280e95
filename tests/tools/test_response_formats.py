"""Structured output: a pasted schema is checked before anything is sent, the request carries the format,
and the reply is checked against it (the real SDK and server; `local-chat` answers with the schema's
properties)."""

from __future__ import annotations

import json

import pytest

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.response_formats import JSON_OBJECT, JSON_SCHEMA, TEXT, SchemaError, build_response_format, check_reply
from tests.chat.support import ChatDatabase
from tests.tools.support import Wire, ask

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 0}},
    "required": ["city", "population"],
}


def test_text_and_json_object_formats() -> None:
    assert build_response_format(TEXT) is None
    assert build_response_format(JSON_OBJECT) == {"type": "json_object"}


def test_a_valid_schema_becomes_a_json_schema_format() -> None:
    assert build_response_format(JSON_SCHEMA, json.dumps(SCHEMA), name="city facts!") == {
        "type": "json_schema",
        "json_schema": {"name": "city_facts_", "schema": SCHEMA, "strict": False},
    }


@pytest.mark.parametrize(
    ("schema_text", "message"),
    [
        ('{"type": "object",', "The schema is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 19."),
        ("", "The schema is not valid JSON: Expecting value at line 1, column 1."),
        ('["type", "object"]', 'The schema must be a JSON object, e.g. {"type": "object", "properties": {...}}.'),
        ('{"type": "objekt"}', "The schema is not a valid JSON Schema: 'objekt' is not valid under any of the given schemas."),
        ('{"type": "object", "properties": {"a": {"type": 5}}}', "The schema is not a valid JSON Schema: 5 is not valid under any of the given schemas."),
        ('{"type": "object", "required": "a"}', "The schema is not a valid JSON Schema: 'a' is not of type 'array'."),
    ],
    ids=["truncated", "empty", "array", "bad-type", "bad-nested-type", "bad-required"],
)
def test_an_invalid_schema_is_refused_with_a_clear_message(schema_text: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        build_response_format(JSON_SCHEMA, schema_text)
    assert str(caught.value) == message


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(SchemaError, match="unknown response format 'yaml'"):
        build_response_format("yaml")


def test_check_reply_against_a_schema() -> None:
    response_format = build_response_format(JSON_SCHEMA, json.dumps(SCHEMA))
    good = check_reply('{"city": "Paris", "population": 2100000}', response_format)
    assert good.ok and good.parsed == {"city": "Paris", "population": 2100000}
    bad = check_reply('{"city": "Paris", "population": -1}', response_format)
    assert bad.valid_json and not bad.ok
    assert bad.schema_errors == ("population: -1 is less than the minimum of 0",)
    missing = check_reply('{"population": 3}', response_format)
    assert missing.schema_errors == ("(root): 'city' is a required property",)
    broken = check_reply('{"city": "Par', response_format)
    assert (broken.valid_json, broken.parsed, broken.ok) == (False, None, False)


def test_check_reply_for_json_object_and_text() -> None:
    assert check_reply('{"a": 1}', {"type": "json_object"}).ok
    assert check_reply("[1, 2]", {"type": "json_object"}).schema_errors == ("the reply is not a JSON object",)
    assert check_reply("plain words", None) is None
    assert check_reply("plain words", {"type": "text"}) is None


def test_a_schema_reply_comes_back_as_json_matching_the_schema(service: ChatService, chat_db: ChatDatabase, wire: Wire) -> None:
    response_format = build_response_format(JSON_SCHEMA, json.dumps(SCHEMA), name="city")
    conversation_id, turn = ask(service, "Tell me about Paris, home to 2100000 people", ChatSettings(response_format=response_format))

    assert wire.last["response_format"] == {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "strict": False}}
    check = check_reply(turn.final_text, response_format)
    assert check.ok, check
    assert check.parsed == {"city": "Paris", "population": 2100000}
    reply = chat_db.messages(conversation_id)[-1]
    assert reply.params["response_format"] == response_format  # the reply remembers its format for the history view


def test_a_json_object_reply(service: ChatService, wire: Wire) -> None:
    _, turn = ask(service, "give me json please", ChatSettings(response_format={"type": "json_object"}))
    assert wire.last["response_format"] == {"type": "json_object"}
    parsed = json.loads(turn.final_text)
    assert set(parsed) == {"reply", "words"} and parsed["words"] == 4
    assert check_reply(turn.final_text, {"type": "json_object"}).ok


def test_tools_and_a_schema_together_answer_in_the_schema(service: ChatService) -> None:
    response_format = build_response_format(JSON_SCHEMA, json.dumps({"type": "object", "properties": {"answer": {"type": "string"}}}))
    _, turn = ask(service, "what is 12*7?", ChatSettings(tools=("calculator",), response_format=response_format))
    assert turn.order == ["reply", "tools", "reply"]
    assert check_reply(turn.final_text, response_format).ok
