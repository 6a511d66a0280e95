"""Fixtures that run every storage test on SQLite *and* PostgreSQL.

Why this file exists: the storage layer promises identical behaviour on both
backends, so each repository test is parametrised over a SQLite file in
``tmp_path`` and the real PostgreSQL server, isolated in a throw-away schema
(``CREATE SCHEMA t_<random>`` + ``search_path``) that is dropped afterwards.
When PostgreSQL is unreachable those tests skip, or fail if
``PORTAL_REQUIRE_ALL=1`` (CI).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.requirements_guard import POSTGRES_URL, require_or_skip
from tests.storage.support import TestDatabase

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_admin: tuple[Engine | None, str],
) -> Iterator[TestDatabase]:
    """An empty database on each backend (no migrations applied)."""
    if request.param == "sqlite":
        db = TestDatabase("sqlite", f"sqlite:///{(tmp_path / 'portal.db').as_posix()}")
        yield db
        db.dispose()
        return

    admin, reason = postgres_admin
    require_or_skip(admin is not None, reason)
    assert admin is not None
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = TestDatabase("postgresql", POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def empty_engine(database: TestDatabase) -> Engine:
    """An engine on the empty database."""
    return database.new_engine()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database migrated to the latest schema."""
    upgrade_to_head(empty_engine)
    return empty_engine


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The app's session factory on the migrated database."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session inside a transaction, committed after the test."""
    with session_factory.begin() as active:
        yield active
