"""Fixtures for the tool, attachment and structured-output tests: the chat service over SQLite and
PostgreSQL (the chat tests' database fixtures) and the real SDK backend over HTTP to the local server,
with every request body recorded as sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localserver import RunningServer
from portal.chat_service import ChatService
from portal.inference.azure_backend import AzureInferenceBackend
from tests.chat.conftest import chat_db  # noqa: F401 (the shared database fixture, SQLite and PostgreSQL)
from tests.chat.support import ChatDatabase
from tests.tools.support import Wire, wired_backend


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def backend(local_server: RunningServer, wire: Wire) -> Iterator[AzureInferenceBackend]:
    """The real azure-ai-inference backend on the local server, recording each chat request body."""
    backend = wired_backend(local_server.url, wire)
    yield backend
    backend.close()


@pytest.fixture
def service(chat_db: ChatDatabase, backend: AzureInferenceBackend) -> ChatService:  # noqa: F811 (the imported fixture)
    return ChatService(chat_db.sessions, backend)
