"""Helpers shared by the chat tests (kept out of conftest so that tests can import them)."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from localserver import RunningServer, ServerConfig, start
from storage import repository
from storage.engine import make_engine, make_sessionmaker
from storage.records import MessageRecord


def unique(text: str) -> str:
    """`text` plus a marker word: `/fault ...xN` counters and replies stay per test (and per database)."""
    return f"{text} marker{uuid.uuid4().hex[:10]}"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_server() -> Iterator[RunningServer]:
    """A dedicated local server for requests that hang (`/fault hang:S`): stopping it does not wait for
    the hanging handler (the daemon thread ends by itself), so the shared servers never wait either."""
    server = start(config=ServerConfig(words_per_second=0))
    try:
        yield server
    finally:
        server.stop(timeout=0.2)


@dataclass
class ChatDatabase:
    """A migrated, isolated database (SQLite file or PostgreSQL schema) and its session factory."""

    backend: str
    url: str
    connect_args: dict[str, Any]
    sessions: sessionmaker[Session]
    engines: list[Engine] = field(default_factory=list)

    def other_sessions(self) -> sessionmaker[Session]:
        """Sessions on a second engine (own connection pool): a reader that is not the writer."""
        engine = make_engine(self.url, connect_args=self.connect_args)
        self.engines.append(engine)
        return make_sessionmaker(engine)

    def messages(self, conversation_id: str, sessions: sessionmaker[Session] | None = None) -> list[MessageRecord]:
        with (sessions or self.sessions).begin() as session:
            return repository.list_messages(session, conversation_id)

    def message(self, message_id: int, sessions: sessionmaker[Session] | None = None) -> MessageRecord:
        with (sessions or self.sessions).begin() as session:
            record = repository.get_message(session, message_id)
        assert record is not None, f"message {message_id} is not stored"
        return record

    def conversation_count(self) -> int:
        with self.sessions.begin() as session:
            return len(repository.list_conversations(session, limit=1000).items)

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()
