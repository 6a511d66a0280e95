"""Fixtures for the chat tests: the chat service over a real database (SQLite file and PostgreSQL schema)
and the real SDK backend talking HTTP to the local inference server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from localserver import RunningServer
from portal.azure_backend import AzureInferenceBackend
from portal.chat_service import ChatService
from portal.settings import offline_connection
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.chat.support import ChatDatabase
from tests.requirements_guard import require_or_skip

POSTGRES_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def chat_postgres_admin() -> Iterator[tuple[Engine | None, str]]:
    """An engine on the PostgreSQL test database, or None and why not."""
    engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    safe_url = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        detail = str(exc.orig or exc).strip().splitlines()[0]
        yield None, f"PostgreSQL is not reachable at {safe_url}: {detail}"
        return
    yield engine, ""
    engine.dispose()


def _migrated(backend: str, url: str, connect_args: dict) -> ChatDatabase:
    engine = make_engine(url, connect_args=connect_args)
    upgrade_to_head(engine)
    return ChatDatabase(backend, url, connect_args, make_sessionmaker(engine), [engine])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chat_db(request: pytest.FixtureRequest, tmp_path: Path, chat_postgres_admin) -> Iterator[ChatDatabase]:
    """A migrated database: a SQLite file in tmp_path, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        db = _migrated("sqlite", f"sqlite:///{(tmp_path / 'portal.db').as_posix()}", {})
        yield db
        db.dispose()
        return
    admin, reason = chat_postgres_admin
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
def backend(local_server: RunningServer) -> Iterator[AzureInferenceBackend]:
    """The real azure-ai-inference backend on the local server (no auth, full speed)."""
    backend = AzureInferenceBackend(offline_connection(local_server.url))
    yield backend
    backend.close()


@pytest.fixture
def service(chat_db: ChatDatabase, backend: AzureInferenceBackend) -> ChatService:
    return ChatService(chat_db.sessions, backend)
