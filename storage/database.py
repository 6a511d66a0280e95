"""How the rest of the app works with the database without importing SQLAlchemy: one unit of work
at a time, and a database outage told apart from a bug.

Why this module exists: the domain (`portal/`) runs each use case in its own short transaction and
must tell "the database is away, try again later" (PostgreSQL stopped or restarting, a SQLite file
locked by another writer for longer than the busy timeout) from programming errors, without naming
a single SQLAlchemy type. The caller still owns the transaction:

    with unit_of_work(sessions) as session:
        repository.add_message(session, ...)

commits when the block ends, rolls back on any error, and raises `DatabaseUnavailable`
(storage.errors) for an outage. `sessions` is any `SessionFactory`: the app's sessionmaker
(storage.engine.make_sessionmaker), or a stand-in that reaches it lazily.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from storage.errors import DatabaseUnavailable

__all__ = ["DatabaseUnavailable", "Session", "SessionFactory", "database_errors", "is_database_outage", "unit_of_work"]

DETAIL_CHARS = 300


class SessionFactory(Protocol):
    """What opens one transaction per `begin()`: a `sessionmaker`, or anything with the same `begin`."""

    def begin(self) -> AbstractContextManager[Session]: ...


def is_database_outage(error: BaseException) -> bool:
    """True for failures that go away when the database comes back: connection refused or lost,
    server shutting down, pool exhausted, SQLite "database is locked" after the busy timeout.
    Constraint violations and programming errors are bugs, not outages, and stay as they are."""
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated) or isinstance(error, (OperationalError, InterfaceError))
    return False


def _detail(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return (lines[0] if lines else type(original).__name__)[:DETAIL_CHARS]


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database outage raised inside the block into DatabaseUnavailable."""
    try:
        yield
    except (DBAPIError, PoolTimeoutError) as exc:
        if is_database_outage(exc):
            raise DatabaseUnavailable(_detail(exc)) from exc
        raise


@contextlib.contextmanager
def unit_of_work(sessions: SessionFactory) -> Iterator[Session]:
    """One short transaction from `sessions`: committed at the end of the block, rolled back on an
    error; an unreachable or locked database raises DatabaseUnavailable."""
    with database_errors(), sessions.begin() as session:
        yield session
