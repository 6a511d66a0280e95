"""Fixtures for the embeddings explorer: local servers configured per test, a migrated SQLite file,
and the explorer wired to the real SDK backend (HTTP to the local server, no mocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from localserver import RunningServer, ServerConfig, start
from portal.embedding_explorer import EmbeddingExplorer
from portal.inference import InferenceBackend, make_backend
from portal.settings import offline_connection
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head


@pytest.fixture
def start_server() -> Iterator[Callable[..., RunningServer]]:
    """Start a local server with the given ServerConfig options; its request log is this test's alone."""
    servers: list[RunningServer] = []

    def factory(**options) -> RunningServer:
        server = start(config=ServerConfig(words_per_second=0, **options))
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop(timeout=2)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'portal.db').as_posix()}")
    upgrade_to_head(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def explorer_for(sessions: sessionmaker[Session], api: str) -> Iterator[Callable[[RunningServer], EmbeddingExplorer]]:
    """The explorer over the real backend for `api` talking to `server`, caching in the test's SQLite file."""
    backends: list[InferenceBackend] = []

    def factory(server: RunningServer) -> EmbeddingExplorer:
        connection = offline_connection(server.url, api)
        backend = make_backend(connection)
        backends.append(backend)
        return EmbeddingExplorer(sessions, backend, connection)

    yield factory
    for backend in backends:
        backend.close()
