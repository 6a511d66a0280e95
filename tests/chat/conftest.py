"""Fixtures for the chat tests: the chat service over a real database (SQLite file and PostgreSQL schema)
and the real SDK backend talking HTTP to the local inference server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from localserver import RunningServer
from portal.chat_service import ChatService
from portal.inference import InferenceBackend, make_backend
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.chat.support import ChatDatabase
from tests.conftest import chat_connection
from tests.requirements_guard import POSTGRES_URL, require_or_skip


def _migrated(backend: str, url: str, connect_args: dict) -> ChatDatabase:
    engine = make_engine(url, connect_args=connect_args)
    upgrade_to_head(engine)
    return ChatDatabase(backend, url, connect_args, make_sessionmaker(engine), [engine])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chat_db(request: pytest.FixtureRequest, tmp_path: Path, postgres_admin) -> Iterator[ChatDatabase]:
    """A migrated database: a SQLite file in tmp_path, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        db = _migrated("sqlite", f"sqlite:///{(tmp_path / 'portal.db').as_posix()}", {})
        yield db
        db.dispose()
        return
    admin, reason = postgres_admin
    require_or_skip(admin is not None, reason)
    schema = f"t_chat_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = _migrated("postgresql", POSTGRES_URL, {"options": f"-csearch_path={schema}"})
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def backend(local_server: RunningServer, chat_api: str) -> Iterator[InferenceBackend]:
    """The real backend for `api` (azure-ai-inference or openai) on the local server (no auth, full speed)."""
    backend = make_backend(chat_connection(local_server.url, chat_api))
    yield backend
    backend.close()


@pytest.fixture
def service(chat_db: ChatDatabase, backend: InferenceBackend) -> ChatService:
    return ChatService(chat_db.sessions, backend)
