"""Search through the substring index (migration 0003) gives exactly the plain query's results.

The walk over recent conversations is shrunk to one conversation so that every search here goes
through the index path (FTS5 trigram on SQLite, pg_trgm on PostgreSQL); the reference is the plain
ILIKE query with the index switched off.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from storage import search
from storage.engine import make_sessionmaker
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import Message
from storage.repository import (
    add_message,
    create_conversation,
    delete_conversation,
    import_conversation,
    list_conversations,
    rename_conversation,
    update_message,
)
from tests.storage.support import insert_legacy_conversation

NEEDLES = [
    "kubernetes",
    "KUBERNETES",
    "ubernete",
    "100%",
    "e_c",
    "a/b",
    'say "hi"',
    "café",
    "CAFÉ",
    "naïve text",
    "zz",
    "no such text anywhere",
    "the",
    "second page",
]


@pytest.fixture
def index_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search skips the walk (one conversation, one message) and goes to the index."""
    monkeypatch.setattr(search, "WALK_CONVERSATIONS", 1)
    monkeypatch.setattr(search, "WALK_MESSAGES", 1)


def _ids(session: Session, needle: str, *, owner: str = "", limit: int = 50, offset: int = 0) -> list[str]:
    return [c.id for c in list_conversations(session, owner=owner, search=needle, limit=limit, offset=offset).items]


def _plain_ids(monkeypatch: pytest.MonkeyPatch, session: Session, needle: str, **kwargs) -> list[str]:
    with monkeypatch.context() as patch:
        patch.setattr(search, "_indexable", lambda *args: False)
        return _ids(session, needle, **kwargs)


def _uses_index(session: Session, needle: str) -> bool:
    return search._indexable(session, session.get_bind().dialect.name, needle)


def _fill(session: Session) -> None:
    texts = [
        ("Kubernetes notes", "how do I scale a deployment"),
        ("Holiday", "Tell me about KUBERNETES operators"),
        ("100% done", "nothing"),
        ("snake_case", "snakeXcase is different"),
        ("a/b", "path a\\b and a/b"),
        ("quotes", 'she said "hi" and left'),
        ("Café menu", "un café noir"),
        ("accents", "a NAÏVE TEXT in capitals"),
        ("zz top", "zz"),
    ]
    for title, content in texts:
        conversation = create_conversation(session, title=title)
        add_message(session, conversation.id, role="user", content=content)
        add_message(session, conversation.id, role="assistant", content=f"the reply to {title}")
    for number in range(30):
        conversation = create_conversation(session, title=f"chat {number}")
        add_message(session, conversation.id, role="user", content=f"second page filler {number}")
    other = create_conversation(session, owner="someone-else", title="Kubernetes secrets")
    add_message(session, other.id, role="user", content="kubernetes café the second page", owner="someone-else")


def test_index_search_equals_plain_search(session: Session, index_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(session)

    assert _uses_index(session, "kubernetes")
    for needle in NEEDLES:
        assert _ids(session, needle) == _plain_ids(monkeypatch, session, needle), needle
        assert _ids(session, needle, limit=7, offset=7) == _plain_ids(monkeypatch, session, needle, limit=7, offset=7), needle
    assert _ids(session, "kubernetes", owner="someone-else") == _plain_ids(
        monkeypatch, session, "kubernetes", owner="someone-else"
    )
    assert len(_ids(session, "kubernetes")) == 2
    assert len(_ids(session, "second page")) == 30


def test_index_follows_edits_deletes_renames_and_imports(session: Session, index_only: None) -> None:
    chat = create_conversation(session, title="Weekly sync")
    add_message(session, chat.id, role="user", content="agenda for the offsite")
    reply = add_message(session, chat.id, role="assistant", content="", status="streaming")
    update_message(session, reply.id, content="partial answer about budgets")
    update_message(session, reply.id, content="final answer about forecasts", status="complete")

    assert _ids(session, "forecasts") == [chat.id]
    assert _ids(session, "budgets") == []
    assert _ids(session, "offsite") == [chat.id]

    session.execute(sql_delete(Message).where(Message.conversation_id == chat.id))  # a message delete, as by SQL
    assert _ids(session, "offsite") == []
    assert _ids(session, "forecasts") == []

    assert rename_conversation(session, chat.id, "Quarterly planning") is not None
    assert _ids(session, "quarterly") == [chat.id]
    assert _ids(session, "weekly") == []

    imported = import_conversation(
        session,
        {
            "format": "azure-ai-portal.conversation",
            "version": 1,
            "conversation": {"title": "Imported trip"},
            "messages": [{"role": "user", "content": "itinerary for Lisbon"}],
        },
    )
    assert _ids(session, "lisbon") == [imported.id]
    assert _ids(session, "imported trip") == [imported.id]

    assert delete_conversation(session, imported.id)
    assert delete_conversation(session, chat.id)
    assert _ids(session, "lisbon") == []
    assert _ids(session, "quarterly") == []


def test_upgrade_indexes_existing_history(empty_engine: Engine, index_only: None) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    sessions = make_sessionmaker(empty_engine)
    with empty_engine.begin() as connection:
        chat_id = insert_legacy_conversation(connection, "Before the upgrade", ["written when there was no index"], minutes_ago=5)
        for number in range(3):
            insert_legacy_conversation(connection, f"newer {number}", [])

    upgrade_to_head(empty_engine)

    with sessions.begin() as session:
        assert _uses_index(session, "no index")
        assert _ids(session, "NO INDEX") == [chat_id]
        assert _ids(session, "before the") == [chat_id]


def test_common_text_is_answered_by_the_walk_alone(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(session)
    monkeypatch.setattr(search, "WALK_CONVERSATIONS", 5)

    def no_index(*args):
        raise AssertionError("the walk over the newest conversations should have filled the page")

    with monkeypatch.context() as patch:
        patch.setattr(search, "_indexed_candidates", no_index)
        walked = _ids(session, "second page", limit=3)
        walked_next = _ids(session, "second page", limit=2, offset=2)

    assert walked == _plain_ids(monkeypatch, session, "second page", limit=3)
    assert walked_next == _plain_ids(monkeypatch, session, "second page", limit=2, offset=2)
    assert len(walked) == 3


def _sparse(session: Session, total: int = 40, every: int = 4) -> None:
    """`total` conversations, the newest last; every `every`-th one mentions "sparse term"."""
    for number in range(total):
        conversation = create_conversation(session, title=f"chat {number}")
        text = "a sparse term here" if number % every == 0 else "nothing to see"
        add_message(session, conversation.id, role="user", content=f"{text} {number}")


def test_a_text_the_short_walk_finds_too_rarely_is_finished_by_a_longer_walk(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sparse(session)
    monkeypatch.setattr(search, "WALK_CONVERSATIONS", 7)  # walks 39..32, two matches: not a page of five

    def no_index(*args):
        raise AssertionError("the longer walk should have filled the page")

    with monkeypatch.context() as patch:
        patch.setattr(search, "_indexed_candidates", no_index)
        first = _ids(session, "sparse term", limit=5)
        after_one = _ids(session, "sparse term", limit=4, offset=1)  # the short walk saw two matches, skipped one

    assert first == _plain_ids(monkeypatch, session, "sparse term", limit=5)
    assert after_one == _plain_ids(monkeypatch, session, "sparse term", limit=4, offset=1)
    assert len(first) == 5 and after_one == first[1:]


def test_a_longer_walk_that_falls_short_ends_in_the_index_with_the_same_page(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sparse(session)
    monkeypatch.setattr(search, "WALK_CONVERSATIONS", 6)
    monkeypatch.setattr(search, "LONG_WALK_CONVERSATIONS", 12)  # the estimate asks for more: straight to the index
    asked: list[str] = []
    indexed = search._indexed_candidates

    def spy(*args):
        asked.append(args[2])
        return indexed(*args)

    monkeypatch.setattr(search, "_indexed_candidates", spy)
    assert _ids(session, "sparse term", limit=8) == _plain_ids(monkeypatch, session, "sparse term", limit=8)
    assert asked == ["sparse term"]
    assert len(_ids(session, "sparse term", limit=50)) == 10
