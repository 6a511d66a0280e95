"""Alembic environment: how migrations connect and which metadata they target.

Why this file exists: Alembic executes it for every command.  When called from
:func:`storage.migrate.upgrade_to_head` it reuses the caller's connection and
transaction; when run from the ``alembic`` CLI (``storage/alembic.ini``) it
builds its own engine from ``sqlalchemy.url`` or ``$DATABASE_URL``.  Either way
the PostgreSQL advisory lock is taken before the current revision is read.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from storage.engine import default_database_url, make_engine
from storage.migrate import take_migration_lock
from storage.models import Base
from storage.search import include_object

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    # CLI use only: the app configures its own logging.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or default_database_url()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        take_migration_lock(connection)
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``)."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate on the supplied connection, or on a fresh engine (CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(_database_url())
    try:
        with engine.begin() as own_connection:
            _run_on(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
