"""Background upkeep off the write path: SQLite search-index merges and WAL checkpoints, PostgreSQL
GIN pending-list cleanups.

Why this module exists: with the FTS5 search index (migration 0003) every committed message adds a
small index segment, and FTS5's automatic merging of segments, like SQLite's automatic WAL
checkpoint, runs inside whichever commit crosses the threshold. That commit then takes 15-40 ms
instead of under one (benchmark 4: appends, p99 25 ms). Migration 0003 switches FTS5's automerge
off (its crisis merge stays as a safety net), and this thread does the same work a little at a time
between requests: bounded merges, each its own short transaction, then a PASSIVE checkpoint, which
never blocks writers. The app starts it for its engine (`components/resources.py`); a process
without it (a script, a test) still works, merging at the crisis threshold and checkpointing as
SQLite normally does.

PostgreSQL has the same trap in another form: the pg_trgm GIN index on message text (migration 0003)
uses GIN's fast-update pending list, and the insert that finds the list over `gin_pending_list_limit`
(4 MB) moves all of it into the index itself, 50-300 ms inside that user's commit (benchmark 4 saw
appends at p99 50 ms, max 290 ms). Autovacuum, which would clean the list first, comes rarely on a
large table (after 20% of it is new). So `PostgresMaintenance` calls `gin_clean_pending_list` on
those indexes every tick: small cleanups, between requests, and searches read a short list. With
several app instances each does it; a cleanup of an empty list costs next to nothing.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
# A pending list fills (4 MB) after some thousands of messages, so a cleanup every 10 s is ample,
# and each tick is one less time the app's request threads share the interpreter with this one.
POSTGRES_INTERVAL_SECONDS = 10.0
MERGE_PAGES = 64  # work per merge step (pages written): a few ms holding the write lock
MAX_MERGE_STEPS = 8  # per tick; the rest waits for the next tick
FTS_TABLES = ("messages_fts", "conversations_fts")
GIN_INDEXES = ("ix_messages_content_trgm", "ix_conversations_title_trgm")
_CLEAN_PENDING_LISTS = text(
    "SELECT coalesce(sum(gin_clean_pending_list(found.oid)), 0) "
    "FROM (SELECT to_regclass(name) AS oid FROM unnest(CAST(:names AS text[])) AS name) AS found "
    "WHERE found.oid IS NOT NULL"
)


class _Upkeep:
    """A daemon thread doing `run_once()` every `interval` seconds until `stop()`."""

    NAME = "storage"

    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS):
        self._engine_ref = weakref.ref(engine)  # the thread ends once nobody uses the engine any more
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"{self.NAME}-maintenance", daemon=True)

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            if self._engine_ref() is None:
                return
            try:
                self.run_once()
            except DBAPIError as exc:  # locked, restarting, or the file went away: try again next tick
                log.debug("storage maintenance skipped: %s", exc)

    def run_once(self) -> int:
        raise NotImplementedError

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


class SqliteMaintenance(_Upkeep):
    NAME = "sqlite"

    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS):
        super().__init__(engine, interval)

        @event.listens_for(engine, "connect")
        def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # this thread checkpoints instead

        engine.dispose()  # pooled connections were opened before the listener existed
        self._thread.start()

    def run_once(self) -> int:
        """Merge search-index segments a bounded step at a time, then checkpoint; returns merge steps done."""
        steps = 0
        engine = self._engine_ref()
        if engine is None:
            return 0
        with engine.connect() as connection:
            present = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
            connection.commit()
            for table in (t for t in FTS_TABLES if t in present):
                while steps < MAX_MERGE_STEPS:
                    before = connection.execute(text("SELECT total_changes()")).scalar_one()
                    connection.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('merge', {MERGE_PAGES})")
                    changes = connection.execute(text("SELECT total_changes()")).scalar_one() - before
                    connection.commit()  # each step its own short transaction: writers wait a few ms at most
                    if changes < 2:  # FTS5's documented test: fewer than 2 changes means nothing was merged
                        break
                    steps += 1
            # Outside any transaction (the driver is in autocommit mode); PASSIVE never blocks writers.
            dbapi_connection = connection.connection.dbapi_connection
            if dbapi_connection is not None:  # None only once the pool has invalidated this connection
                dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return steps


class PostgresMaintenance(_Upkeep):
    NAME = "postgres"

    def __init__(self, engine: Engine, interval: float = POSTGRES_INTERVAL_SECONDS):
        super().__init__(engine, interval)
        self._thread.start()

    def run_once(self) -> int:
        """Move the search indexes' pending entries into the indexes; returns the pending pages removed."""
        engine = self._engine_ref()
        if engine is None:
            return 0
        with engine.connect() as connection:
            # Indexes that do not exist (no pg_trgm for migration 0003) resolve to NULL and are skipped.
            removed = connection.execute(_CLEAN_PENDING_LISTS, {"names": list(GIN_INDEXES)}).scalar()
            connection.commit()
        return int(removed or 0)


def start_maintenance(engine: Engine, interval: float | None = None) -> _Upkeep | None:
    """Start background upkeep for the engine's database (None for a database that needs none)."""
    if engine.dialect.name == "sqlite":
        return SqliteMaintenance(engine, interval or INTERVAL_SECONDS)
    if engine.dialect.name == "postgresql":
        return PostgresMaintenance(engine, interval or POSTGRES_INTERVAL_SECONDS)
    return None
