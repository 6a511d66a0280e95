"""Helpers shared by the storage tests (kept out of conftest so tests can import them).

Why this module exists: some tests need more than one engine on the same
isolated database (concurrent migrations, concurrent writers), so the fixture
hands out a ``TestDatabase`` that can create engines and cleans them up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from storage.engine import make_engine


@dataclass
class TestDatabase:
    """An isolated, initially empty database; hands out engines bound to it."""

    __test__ = False  # not a test class, despite the name

    backend: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    engines: list[Engine] = field(default_factory=list)

    def new_engine(self) -> Engine:
        """A new engine (own connection pool) on this database."""
        engine = make_engine(self.url, connect_args=self.connect_args)
        self.engines.append(engine)
        return engine

    def dispose(self) -> None:
        """Close every pooled connection opened through this object."""
        for engine in self.engines:
            engine.dispose()


def insert_legacy_conversation(connection: Connection, title: str, contents: list[str], *, minutes_ago: int = 0) -> str:
    """A conversation written as a 0001-0003 schema stores it (plain SQL, no current model), so
    upgrade tests start from the data an older portal left; returns its id."""
    cid = str(uuid.uuid4())
    now = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    connection.execute(
        text(
            "INSERT INTO conversations (id, owner, title, settings, message_count, created_at, updated_at) "
            "VALUES (:id, '', :title, '{}', :count, :now, :now)"
        ),
        {"id": cid, "title": title, "count": len(contents), "now": now},
    )
    for content in contents:
        insert_legacy_message(connection, cid, content)
    return cid


def insert_legacy_message(connection: Connection, conversation_id: str, content: str) -> None:
    """A message as the 0001-0003 schemas store it (no parent, no depth)."""
    connection.execute(
        text(
            "INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at) "
            "VALUES (:cid, 'user', :content, 'complete', :now, :now)"
        ),
        {"cid": conversation_id, "content": content, "now": datetime(2026, 1, 1, tzinfo=UTC)},
    )
