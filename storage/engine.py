"""Create SQLAlchemy engines and sessions for SQLite or PostgreSQL.

Why this module exists: both backends need specific connection settings to be
safe for a multi-threaded Streamlit server (and several server processes), and
those settings must be applied identically by the app, the migrations and the
tests.  SQLite gets WAL mode, a busy timeout, enforced foreign keys and
``BEGIN IMMEDIATE`` transactions; PostgreSQL gets the psycopg 3 driver and
connection liveness checks.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

DATABASE_FILENAME = "portal.db"

SQLITE_BUSY_TIMEOUT_MS = 5000

SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",  # wait for locks, don't fail
    "PRAGMA journal_mode=WAL",  # readers don't block the writer
    "PRAGMA foreign_keys=ON",  # needed for ON DELETE CASCADE
    "PRAGMA synchronous=NORMAL",  # safe with WAL, much faster than FULL
)


def default_database_url(data_dir: Path | None = None) -> str:
    """Return ``$DATABASE_URL`` or a SQLite file URL for ``portal.db``.

    The SQLite file lives in ``data_dir``, else ``$PORTAL_DATA_DIR``, else
    ``./data``; the directory is created if needed.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    directory = Path(data_dir or os.environ.get("PORTAL_DATA_DIR") or "data")
    directory.mkdir(parents=True, exist_ok=True)
    path = (directory / DATABASE_FILENAME).resolve()
    return URL.create("sqlite", database=path.as_posix()).render_as_string()


def make_engine(
    url: str | URL,
    *,
    connect_args: Mapping[str, Any] | None = None,
    echo: bool = False,
) -> Engine:
    """Create an engine for a SQLite file or a PostgreSQL database.

    ``postgresql://`` (and ``postgres://``) URLs are rewritten to use psycopg 3.
    ``connect_args`` are passed to the DB-API driver (for example
    ``{"options": "-csearch_path=myschema"}`` on PostgreSQL).

    Raises ``ValueError`` for in-memory SQLite and unsupported backends.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    args = dict(connect_args or {})
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=args, echo=echo)
    elif backend == "sqlite":
        _require_sqlite_file(parsed)
        args["check_same_thread"] = False  # Streamlit uses many threads
        engine = create_engine(parsed, connect_args=args, echo=echo)
        _configure_sqlite(engine)
    else:
        raise ValueError(f"Unsupported database backend {backend!r}: use a sqlite:/// file URL or postgresql+psycopg://.")
    log.info("storage: using database %s", engine.url.render_as_string(hide_password=True))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory whose objects stay readable after commit.

    Use it as ``with Session.begin() as session: ...`` so each unit of work
    commits (or rolls back) exactly once.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def _require_sqlite_file(url: URL) -> None:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:") or url.query.get("mode") == "memory"
    if in_memory:
        raise ValueError(
            "In-memory SQLite is not supported: every connection would get its "
            "own empty database, so data written by one Streamlit thread would be "
            "invisible to the others and lost on restart. Use a file URL such "
            "as sqlite:///data/portal.db."
        )
    if not url.query.get("uri"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """Apply the pragmas on every new connection and use BEGIN IMMEDIATE.

    pysqlite's own transaction handling is switched off (``isolation_level =
    None``) so SQLAlchemy controls BEGIN.  Taking the write lock at BEGIN makes
    SQLite wait (``busy_timeout``) for a concurrent writer instead of failing
    with "database is locked" when a read transaction later tries to write,
    and makes migrations atomic and serialised across processes.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                _execute_with_retry(cursor, pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _execute_with_retry(cursor: Any, statement: str) -> None:
    """Run a pragma, retrying while another connection holds a conflicting lock.

    Switching a new database file to WAL needs an exclusive lock, and SQLite
    reports "database is locked" at once (without using ``busy_timeout``) when
    several processes open the fresh file together, so retry for as long as
    the busy timeout would have waited.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute(statement).fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))
