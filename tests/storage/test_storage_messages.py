"""Messages: appending, streaming updates, tail paging, truncation, recovery."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from storage._common import _CLEANERS, find_conversation
from storage.errors import ConversationNotFound, MessageNotFound
from storage.models import Message
from storage.records import MESSAGE_FIELDS, UPDATABLE_MESSAGE_FIELDS, ConversationRecord
from storage.repository import (
    add_message,
    count_messages,
    create_conversation,
    get_conversation,
    get_message,
    list_messages,
    mark_streaming_as_interrupted,
    update_message,
)


def test_the_message_fields_are_the_table_columns_and_each_writable_one_is_validated() -> None:
    # MessageRecord defines the fields; the table must have a column for each (and no other), and
    # every field a caller may write must have its validator (storage/_common.py).
    assert sorted(Message.__table__.columns.keys()) == sorted(MESSAGE_FIELDS)
    assert set(_CLEANERS) == UPDATABLE_MESSAGE_FIELDS


@pytest.fixture
def chat(session: Session) -> ConversationRecord:
    return create_conversation(session, title="chat")


def _fill(session: Session, chat: ConversationRecord, count: int) -> list[int]:
    return [add_message(session, chat.id, role="user", content=f"m{i}").id for i in range(count)]


def test_add_message_bumps_count_and_updated_at(session: Session, chat: ConversationRecord) -> None:
    first = add_message(session, chat.id, role="user", content="hello")
    second = add_message(
        session,
        chat.id,
        role="assistant",
        status="streaming",
        model="gpt-4o",
        params={"temperature": 0.7},
    )

    after = get_conversation(session, chat.id)
    assert after is not None
    assert after.message_count == 2 == count_messages(session, chat.id)
    assert after.updated_at > chat.updated_at
    assert second.id > first.id
    assert second.content == "" and second.status == "streaming"
    assert second.model == "gpt-4o" and second.params == {"temperature": 0.7}
    assert first.created_at.tzinfo is not None


def test_parts_round_trip_as_json(session: Session, chat: ConversationRecord) -> None:
    parts = [
        {"type": "text", "text": "Was ist das? 🤔"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "tool_call", "arguments": {"n": [1, 2.5, None, True]}},
    ]
    message = add_message(session, chat.id, role="user", parts=parts)

    fetched = get_message(session, message.id)

    assert fetched is not None and fetched.parts == parts


def test_add_message_to_unknown_conversation_raises(session: Session) -> None:
    for missing in ("00000000-0000-0000-0000-000000000000", "garbage"):
        with pytest.raises(ConversationNotFound):
            add_message(session, missing, role="user", content="hi")


def test_add_message_to_another_owners_conversation_raises_and_stores_nothing(session: Session, chat: ConversationRecord) -> None:
    with pytest.raises(ConversationNotFound):
        add_message(session, chat.id, role="user", content="not yours", owner="mallory")

    assert list_messages(session, chat.id) == []
    fetched = get_conversation(session, chat.id)
    assert fetched is not None and fetched.message_count == 0


def test_a_conversation_loaded_in_the_same_session_shows_the_new_count(session: Session, chat: ConversationRecord) -> None:
    loaded = find_conversation(session, chat.id, "")  # an ORM object in this session's identity map
    assert loaded is not None and loaded.message_count == 0

    add_message(session, chat.id, role="user", content="one")
    add_message(session, chat.id, role="assistant", content="two", parts={"tool_calls": []}, params={"model": "m"})

    assert loaded.message_count == 2
    assert [(m.role, m.content, m.parts, m.params) for m in list_messages(session, chat.id)] == [
        ("user", "one", None, None),
        ("assistant", "two", {"tool_calls": []}, {"model": "m"}),
    ]


def test_add_message_rejects_invalid_role_and_status(session: Session, chat: ConversationRecord) -> None:
    with pytest.raises(ValueError, match="role"):
        add_message(session, chat.id, role="wizard")
    with pytest.raises(ValueError, match="status"):
        add_message(session, chat.id, role="user", status="done")
    after = get_conversation(session, chat.id)
    assert after is not None and after.message_count == 0


def test_list_messages_returns_all_in_chronological_order(session: Session, chat: ConversationRecord) -> None:
    ids = _fill(session, chat, 5)
    assert [m.id for m in list_messages(session, chat.id)] == ids
    assert [m.id for m in list_messages(session, chat.id, before_id=ids[2])] == ids[:2]


def test_list_messages_tail_with_limit_and_before_id(session: Session, chat: ConversationRecord) -> None:
    ids = _fill(session, chat, 10)

    tail = list_messages(session, chat.id, limit=3)
    earlier = list_messages(session, chat.id, limit=3, before_id=tail[0].id)
    start = list_messages(session, chat.id, limit=5, before_id=ids[1])

    assert [m.id for m in tail] == ids[7:]
    assert [m.content for m in tail] == ["m7", "m8", "m9"]
    assert [m.id for m in earlier] == ids[4:7]
    assert [m.id for m in start] == ids[:1]
    assert list_messages(session, chat.id, limit=3, before_id=ids[0]) == []
    assert [m.id for m in list_messages(session, chat.id, limit=50)] == ids


def test_list_messages_tail_query_uses_the_conversation_index(engine: Engine, session: Session, chat: ConversationRecord) -> None:
    _fill(session, chat, 20)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM messages" in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        list_messages(session, chat.id, limit=5)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, params)] = captured
    assert "ORDER BY messages.id DESC" in statement

    connection = session.connection()
    if engine.dialect.name == "sqlite":
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        text = " ".join(str(row[-1]) for row in plan)
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", params)
        text = " ".join(row[0] for row in plan)
    assert "ix_messages_conversation_id_id" in text
    assert "TEMP B-TREE" not in text  # no separate sort step on SQLite


def test_update_message_changes_fields_and_metrics(session: Session, chat: ConversationRecord) -> None:
    draft = add_message(session, chat.id, role="assistant", status="streaming")

    done = update_message(
        session,
        draft.id,
        content="The answer is 42.",
        status="complete",
        prompt_tokens=12,
        completion_tokens=5,
        time_to_first_token_ms=250.5,
        total_time_ms=900,
        finish_reason="stop",
        parts=[{"type": "text", "text": "The answer is 42."}],
    )

    assert done.content == "The answer is 42." and done.status == "complete"
    assert (done.prompt_tokens, done.completion_tokens) == (12, 5)
    assert done.time_to_first_token_ms == 250.5 and done.total_time_ms == 900.0
    assert done.finish_reason == "stop" and done.error is None
    assert done.updated_at > draft.updated_at
    assert get_message(session, draft.id) == done


def test_update_message_rejects_unknown_fields_and_bad_values(session: Session, chat: ConversationRecord) -> None:
    message = add_message(session, chat.id, role="assistant", content="keep")

    with pytest.raises(ValueError, match="unknown message field.*role"):
        update_message(session, message.id, role="user")
    with pytest.raises(ValueError, match="conversation_id"):
        update_message(session, message.id, content="x", conversation_id=chat.id)
    with pytest.raises(ValueError, match="status"):
        update_message(session, message.id, status="finished")
    with pytest.raises(ValueError, match="prompt_tokens"):
        update_message(session, message.id, prompt_tokens=-1)
    with pytest.raises(TypeError, match="content"):
        update_message(session, message.id, content=None)

    fetched = get_message(session, message.id)
    assert fetched is not None and fetched.content == "keep"


def test_update_unknown_message_raises(session: Session) -> None:
    with pytest.raises(MessageNotFound):
        update_message(session, 987654, content="x")


def test_streaming_messages_become_incomplete_after_a_crash(session: Session, chat: ConversationRecord) -> None:
    done = add_message(session, chat.id, role="user", content="q")
    stuck = add_message(session, chat.id, role="assistant", status="streaming")

    assert mark_streaming_as_interrupted(session, chat.id) == 1
    assert mark_streaming_as_interrupted(session, chat.id) == 0

    statuses = {m.id: m.status for m in list_messages(session, chat.id)}
    assert statuses == {done.id: "complete", stuck.id: "incomplete"}


def test_records_are_json_friendly_and_frozen(session: Session, chat: ConversationRecord) -> None:
    message = add_message(session, chat.id, role="user", content="x", params={"a": 1})
    json.dumps(message.params)
    with pytest.raises(AttributeError):
        message.content = "changed"  # type: ignore[misc]
