"""Export/import: versioned JSON, round trip, and readable errors on bad files."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storage.errors import InvalidImport
from storage.records import MessageRecord
from storage.repository import (
    EXPORT_FORMAT,
    add_message,
    create_conversation,
    export_conversation,
    get_conversation,
    import_conversation,
    list_conversations,
    list_messages,
    update_message,
)

# Every field of a message survives the round trip, except what names its place in this database.
_NOT_COMPARED = {"id", "conversation_id", "parent_id", "updated_at"}
_COMPARED = tuple(f.name for f in dataclasses.fields(MessageRecord) if f.name not in _NOT_COMPARED)


def _comparable(messages: list[MessageRecord]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(m, name) for name in _COMPARED) for m in messages]


def _exported(session: Session) -> dict[str, Any]:
    chat = create_conversation(session, owner="alice", title="Round trip", settings={"temperature": 0.3})
    add_message(session, chat.id, role="system", content="Be brief.", owner="alice")
    add_message(
        session,
        chat.id,
        role="user",
        content="Describe this",
        parts=[{"type": "image_url", "image_url": {"url": "data:,x"}}],
        owner="alice",
    )
    reply = add_message(
        session,
        chat.id,
        role="assistant",
        status="streaming",
        model="phi-4",
        params={"max_tokens": 100},
        owner="alice",
    )
    update_message(
        session,
        reply.id,
        owner="alice",
        content="A cat.",
        status="complete",
        prompt_tokens=30,
        completion_tokens=3,
        time_to_first_token_ms=120.0,
        total_time_ms=400.25,
        finish_reason="stop",
    )
    return export_conversation(session, chat.id, owner="alice")


def test_export_is_json_with_format_marker_and_iso_timestamps(
    session: Session,
) -> None:
    data = _exported(session)

    decoded = json.loads(json.dumps(data))
    assert decoded["format"] == EXPORT_FORMAT == "azure-ai-portal.conversation"
    assert decoded["version"] == 2
    assert decoded["conversation"]["title"] == "Round trip"
    assert decoded["conversation"]["settings"] == {"temperature": 0.3}
    assert "owner" not in decoded["conversation"]
    assert [m["role"] for m in decoded["messages"]] == ["system", "user", "assistant"]
    created = decoded["messages"][0]["created_at"]
    assert created.endswith("+00:00") and "T" in created


def test_export_import_round_trip_creates_new_conversation_with_same_messages(
    session: Session,
) -> None:
    data = json.loads(json.dumps(_exported(session)))
    original_id = data["conversation"]["id"]
    original = list_messages(session, original_id, owner="alice")

    imported = import_conversation(session, data, owner="alice")

    assert imported.id != original_id
    assert imported.owner == "alice"
    assert imported.title == "Round trip"
    assert imported.settings == {"temperature": 0.3}
    assert imported.message_count == 3
    copies = list_messages(session, imported.id, owner="alice")
    assert _comparable(copies) == _comparable(original)
    assert {m.id for m in copies}.isdisjoint({m.id for m in original})
    assert list_conversations(session, owner="alice").items[0].id == imported.id


def test_import_never_trusts_ids_or_owner_from_the_file(session: Session) -> None:
    data = _exported(session)
    data["conversation"]["owner"] = "alice"
    original_id = data["conversation"]["id"]

    imported = import_conversation(session, data, owner="bob")

    assert imported.id != original_id
    assert imported.owner == "bob"
    assert get_conversation(session, imported.id, owner="alice") is None
    assert get_conversation(session, original_id, owner="alice") is not None


def test_import_marks_streaming_messages_incomplete(session: Session) -> None:
    data = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "conversation": {"title": "crashed"},
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "half", "status": "streaming"},
        ],
    }

    imported = import_conversation(session, data)

    statuses = [m.status for m in list_messages(session, imported.id)]
    assert statuses == ["complete", "incomplete"]


def _valid() -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "conversation": {"title": "ok", "settings": {}},
        "messages": [{"role": "user", "content": "hi"}],
    }


_DELETE = object()


def _with(path: str, value: Any) -> dict[str, Any]:
    """A valid export with the dotted ``path`` set to ``value`` (or removed)."""
    data = copy.deepcopy(_valid())
    target: Any = data
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (["not", "an", "object"], "expected a JSON object"),
        (_with("format", "something-else"), "not a conversation export"),
        (_with("format", _DELETE), "not a conversation export"),
        (_with("version", 3), "Unsupported export version 3"),
        (_with("version", True), "Unsupported export version"),
        (_with("conversation", "x"), '"conversation" field must be an object'),
        (_with("messages", _DELETE), '"messages" field must be a list'),
        (_with("messages", {"0": {}}), '"messages" field must be a list'),
        (_with("conversation.title", 5), "title must be a string"),
        (_with("conversation.settings", [1]), "settings must be a dict"),
        (_with("conversation.created_at", "yesterday"), "ISO 8601"),
        (_with("messages.0", "hi"), "messages[0] must be an object"),
        (_with("messages.0.role", "wizard"), "messages[0]: role must be one of"),
        (_with("messages.0.role", _DELETE), "messages[0]: role must be one of"),
        (_with("messages.0.content", None), "messages[0]: content must be a string"),
        (_with("messages.0.status", "done"), "messages[0]: status must be one of"),
        (_with("messages.0.prompt_tokens", -3), "prompt_tokens must not be negative"),
        (_with("messages.0.total_time_ms", "fast"), "total_time_ms must be a number"),
        (_with("messages.0.finish_reason", "x" * 40), "at most 32 characters"),
        (_with("messages.0.created_at", 12), "messages[0].created_at must be an ISO"),
    ],
)
def test_import_of_bad_data_raises_invalid_import_with_a_reason(session: Session, data: Any, expected: str) -> None:
    with pytest.raises(InvalidImport) as caught:
        import_conversation(session, data)

    assert expected in str(caught.value)
    assert list_conversations(session).items == ()


def test_minimal_valid_import_uses_defaults(session: Session) -> None:
    data = _with("conversation", {})

    imported = import_conversation(session, data)

    assert imported.title == "New chat" and imported.settings == {}
    [message] = list_messages(session, imported.id)
    assert (message.role, message.content, message.status) == ("user", "hi", "complete")
