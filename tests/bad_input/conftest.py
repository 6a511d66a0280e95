"""Fixtures for the bad-input tests: the real app (AppTest) on the session's local server, its own
SQLite file, and a way to read what was stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from localserver import RunningServer
from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from storage.records import ConversationRecord, MessageRecord
from tests.faults.apptest import PortalEnvironment, portal_environment


@dataclass
class Stored:
    """Reads the app's database (the same SQLite file) directly."""

    sessions: sessionmaker[Session]

    def conversations(self, owner: str = "") -> tuple[ConversationRecord, ...]:
        with self.sessions.begin() as session:
            return repository.list_conversations(session, owner=owner, limit=1000).items

    def messages(self, conversation_id: str) -> list[MessageRecord]:
        with self.sessions.begin() as session:
            return repository.list_messages(session, conversation_id)

    def only_conversation_messages(self) -> list[MessageRecord]:
        conversations = self.conversations()
        assert len(conversations) == 1, conversations
        return self.messages(conversations[0].id)

    def seed(self, title: str, contents: list[str], owner: str = "") -> str:
        with self.sessions.begin() as session:
            conversation = repository.create_conversation(session, owner=owner, title=title)
            for index, content in enumerate(contents):
                repository.add_message(
                    session, conversation.id, role="user" if index % 2 == 0 else "assistant", content=content, owner=owner
                )
        return conversation.id


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[PortalEnvironment]:
    """The app's environment with nothing configured yet (the test sets the connection)."""
    with portal_environment(monkeypatch, tmp_path) as environment:
        yield environment


@pytest.fixture
def env(bare_env: PortalEnvironment, local_server: RunningServer) -> PortalEnvironment:
    """The app on the session's local server (chat `local-chat`, embeddings `local-embed`)."""
    return bare_env.endpoint(local_server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed")


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Stored]:
    engine = make_engine(default_database_url(tmp_path))
    upgrade_to_head(engine)
    yield Stored(make_sessionmaker(engine))
    engine.dispose()
