"""A throw-away PostgreSQL database per test module (or benchmark run), created and dropped here.

Why a database and not a schema (as `tests/storage` does): the app processes under test take
Alembic's advisory lock, and advisory locks are per database. A test that holds that lock on purpose
(to start two migrators at the same moment) must not block other suites migrating schemas of the
shared `test` database at the same time, and app processes only need a plain `DATABASE_URL`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

POSTGRES_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def unreachable_reason(url: str = POSTGRES_URL) -> str | None:
    """None when PostgreSQL answers at `url`, else why not (for `require_or_skip`)."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except DBAPIError as exc:
        detail = str(exc.orig or exc).strip().splitlines()[0]
        return f"PostgreSQL is not reachable at {make_url(url).render_as_string(hide_password=True)}: {detail}"
    finally:
        engine.dispose()


@contextmanager
def throwaway_database(admin_url: str = POSTGRES_URL, prefix: str = "portal_t") -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random>, yield its URL, then DROP it (WITH (FORCE): app processes
    that were killed may still hold connections for a moment)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def engine_for(url: str) -> Engine:
    """An engine for reading what the app wrote (the test's own connections, not the app's)."""
    return create_engine(url, pool_pre_ping=True)
