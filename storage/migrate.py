"""Bring a database up to the latest schema with Alembic, programmatically.

Why this module exists: the app calls :func:`upgrade_to_head` at every start,
possibly from several processes at once, so migrating has to be idempotent and
race-free.  Everything runs in one transaction on the caller's engine:

* PostgreSQL: ``pg_advisory_xact_lock`` is taken (in ``migrations/env.py``)
  before Alembic reads the current revision, so a second instance waits and
  then finds the schema already at head.  DDL is transactional, so a failed
  migration leaves nothing half-done.
* SQLite: engines from :func:`storage.engine.make_engine` open transactions
  with ``BEGIN IMMEDIATE``, which serialises migrators the same way.
* Threads of one process are serialised by a lock, because Alembic's
  ``context`` and ``op`` proxies are process-global.

No ``alembic.ini`` is needed; ``storage/alembic.ini`` exists only for running
the ``alembic`` command line by hand (e.g. ``revision --autogenerate``).
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

MIGRATION_LOCK_KEY = 0x706F7274616C0001
"""Arbitrary 64-bit key for ``pg_advisory_xact_lock`` ("portal" + 1)."""

# Alembic's ``context``/``op`` proxies are process-global, so two threads must
# never run migrations at the same time; processes are serialised by the DB.
_process_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at ``storage/migrations``.

    When ``connection`` is given, ``env.py`` migrates on it (inside its
    current transaction) instead of creating its own engine.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def take_migration_lock(connection: Connection) -> None:
    """Serialise concurrent migrators on PostgreSQL (no-op elsewhere).

    The lock is transaction-scoped: it is released when the migration
    transaction commits or rolls back, even if the process dies.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade_to_head(engine: Engine) -> None:
    """Run ``alembic upgrade head`` in one transaction; safe to call repeatedly.

    Safe from several threads (a process-wide lock) and several processes (the
    database lock described in the module docstring).
    """
    with _process_lock, engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
