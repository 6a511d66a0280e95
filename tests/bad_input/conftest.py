"""Fixtures for the bad-input tests: the real app (AppTest) on the session's local server, its own
SQLite file, and a way to read what was stored."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from localserver import RunningServer
from storage import repository
from storage.records import ConversationRecord, MessageRecord
from tests.apptest import PortalApp


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
def bare_env(portal_app: PortalApp) -> PortalApp:
    """The app's environment (tests/apptest.py) with no connection yet (the test sets it); a rate-limited
    call is given up after two retries."""
    return portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="2")


@pytest.fixture
def env(bare_env: PortalApp, local_server: RunningServer) -> PortalApp:
    """The app on the session's local server (chat `local-chat`, embeddings `local-embed`)."""
    return bare_env.endpoint(local_server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed")


@pytest.fixture
def stored(portal_app: PortalApp) -> Stored:
    return Stored(portal_app.sessions)
