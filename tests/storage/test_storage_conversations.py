"""Conversations: creation, newest-first paging, search, rename, delete."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Message
from storage.records import TITLE_MAX_LENGTH
from storage.repository import (
    add_message,
    create_conversation,
    delete_conversation,
    get_conversation,
    list_conversations,
    list_messages,
    rename_conversation,
    touch,
    update_conversation_settings,
)


def _titles(session: Session, **kwargs: object) -> list[str]:
    return [c.title for c in list_conversations(session, **kwargs).items]  # type: ignore[arg-type]


def test_created_conversation_can_be_read_back(session: Session) -> None:
    created = create_conversation(session, owner="alice", title="  Trip   plans ", settings={"temperature": 0.2})

    fetched = get_conversation(session, created.id, owner="alice")

    assert fetched == created
    assert created.title == "Trip plans"
    assert created.settings == {"temperature": 0.2}
    assert created.message_count == 0
    assert created.created_at.tzinfo is not None
    assert created.created_at == created.updated_at


def test_conversation_survives_commit_and_new_session(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        created = create_conversation(session, settings={"model": "gpt-4o"})
    with session_factory.begin() as session:
        fetched = get_conversation(session, created.id)
    assert fetched == created


def test_blank_title_becomes_default_and_long_title_is_truncated(
    session: Session,
) -> None:
    assert create_conversation(session, title="   ").title == "New chat"
    long = create_conversation(session, title="x" * 500)
    assert len(long.title) == TITLE_MAX_LENGTH


def test_malformed_conversation_ids_are_just_not_found(session: Session) -> None:
    create_conversation(session)
    for bad in ["", "nope", "1 OR 1=1", "../etc/passwd", 42, None]:
        assert get_conversation(session, bad) is None  # type: ignore[arg-type]


def test_list_is_newest_first_with_paging_and_has_more(session: Session) -> None:
    for index in range(5):
        create_conversation(session, title=f"chat {index}")

    first = list_conversations(session, limit=2)
    second = list_conversations(session, limit=2, offset=2)
    last = list_conversations(session, limit=2, offset=4)

    assert [c.title for c in first.items] == ["chat 4", "chat 3"]
    assert first.has_more and first.next_offset == 2
    assert [c.title for c in second.items] == ["chat 2", "chat 1"]
    assert second.has_more
    assert [c.title for c in last.items] == ["chat 0"]
    assert not last.has_more and last.next_offset is None


def test_exactly_one_full_page_has_no_more(session: Session) -> None:
    create_conversation(session)
    create_conversation(session)
    page = list_conversations(session, limit=2)
    assert len(page.items) == 2
    assert not page.has_more


def test_new_message_and_touch_move_conversation_to_top(session: Session) -> None:
    older = create_conversation(session, title="older")
    create_conversation(session, title="newer")

    add_message(session, older.id, role="user", content="hi")
    assert _titles(session) == ["older", "newer"]

    newer = list_conversations(session).items[1]
    assert touch(session, newer.id)
    assert _titles(session) == ["newer", "older"]


def test_search_matches_title_case_insensitively(session: Session) -> None:
    create_conversation(session, title="Azure Pricing")
    create_conversation(session, title="Holiday")

    assert _titles(session, search="aZuRe") == ["Azure Pricing"]
    assert _titles(session, search="   ") == ["Holiday", "Azure Pricing"]


def test_search_matches_message_text_once_per_conversation(session: Session) -> None:
    chat = create_conversation(session, title="Untitled")
    create_conversation(session, title="Other")
    for _ in range(3):
        add_message(session, chat.id, role="user", content="Tell me about KUBERNETES")

    page = list_conversations(session, search="kubernetes")

    assert [c.id for c in page.items] == [chat.id]


def test_search_treats_percent_and_underscore_literally(session: Session) -> None:
    create_conversation(session, title="100% done")
    create_conversation(session, title="1000 done")
    create_conversation(session, title="snake_case")
    create_conversation(session, title="snakeXcase")
    slash = create_conversation(session, title="a/b")
    add_message(session, slash.id, role="user", content="path a\\b")

    assert _titles(session, search="100%") == ["100% done"]
    assert _titles(session, search="e_c") == ["snake_case"]
    assert _titles(session, search="a/b") == ["a/b"]
    assert _titles(session, search="a\\b") == ["a/b"]
    assert _titles(session, search="%") == ["100% done"]


def test_rename_and_settings_update_keep_sidebar_order(session: Session) -> None:
    chat = create_conversation(session, title="old", settings={"a": 1})

    renamed = rename_conversation(session, chat.id, "  new name ")
    updated = update_conversation_settings(session, chat.id, {"temperature": 1.5})

    assert renamed is not None and renamed.title == "new name"
    assert updated is not None and updated.settings == {"temperature": 1.5}
    assert updated.updated_at == chat.updated_at
    assert rename_conversation(session, "missing", "x") is None
    assert update_conversation_settings(session, "missing", {}) is None


def test_returned_settings_are_a_private_copy(session: Session) -> None:
    chat = create_conversation(session, settings={"stop": ["a"]})
    chat.settings["stop"].append("b")
    fetched = get_conversation(session, chat.id)
    assert fetched is not None and fetched.settings == {"stop": ["a"]}


def test_delete_conversation_cascades_to_messages(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        doomed = create_conversation(session)
        kept = create_conversation(session)
        for text in ("one", "two"):
            add_message(session, doomed.id, role="user", content=text)
        add_message(session, kept.id, role="user", content="stay")

    with session_factory.begin() as session:
        assert delete_conversation(session, doomed.id) is True
        assert delete_conversation(session, doomed.id) is False

    with session_factory.begin() as session:
        assert get_conversation(session, doomed.id) is None
        remaining = session.scalar(select(func.count()).select_from(Message))
        assert remaining == 1
        assert [m.content for m in list_messages(session, kept.id)] == ["stay"]


def test_a_title_with_control_characters_is_stored_without_them(session: Session) -> None:
    # PostgreSQL refuses NUL in text; a pasted title can carry one, and other control characters too.
    chat = create_conversation(session, title="first\x00 chat\x07")

    renamed = rename_conversation(session, chat.id, "tab\there\x00, bell\x07 gone\x1b[0m")

    assert chat.title == "first chat"
    assert renamed is not None and renamed.title == "tab here, bell gone[0m"
