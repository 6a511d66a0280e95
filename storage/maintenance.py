"""Background upkeep for a SQLite database: search-index merges and WAL checkpoints off the write path.

Why this module exists: with the FTS5 search index (migration 0003) every committed message adds a
small index segment, and FTS5's automatic merging of segments, like SQLite's automatic WAL
checkpoint, runs inside whichever commit crosses the threshold. That commit then takes 15-40 ms
instead of under one (benchmark 4: appends, p99 25 ms). Migration 0003 switches FTS5's automerge
off (its crisis merge stays as a safety net), and this thread does the same work a little at a time
between requests: bounded merges, each its own short transaction, then a PASSIVE checkpoint, which
never blocks writers. The app starts it for its engine (`components/resources.py`); a process
without it (a script, a test) still works, merging at the crisis threshold and checkpointing as
SQLite normally does.
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
MERGE_PAGES = 64  # work per merge step (pages written): a few ms holding the write lock
MAX_MERGE_STEPS = 8  # per tick; the rest waits for the next tick
FTS_TABLES = ("messages_fts", "conversations_fts")


class SqliteMaintenance:
    """A daemon thread doing `run_once()` every `interval` seconds until `stop()`."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS):
        self._engine_ref = weakref.ref(engine)  # the thread ends once nobody uses the engine any more
        self._interval = interval
        self._stopped = threading.Event()

        @event.listens_for(engine, "connect")
        def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # this thread checkpoints instead

        engine.dispose()  # pooled connections were opened before the listener existed
        self._thread = threading.Thread(target=self._loop, name="sqlite-maintenance", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            if self._engine_ref() is None:
                return
            try:
                self.run_once()
            except DBAPIError as exc:  # locked, or the file went away: try again next tick
                log.debug("storage maintenance skipped: %s", exc)

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
                    before = connection.execute(text("SELECT total_changes()")).scalar()
                    connection.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('merge', {MERGE_PAGES})")
                    changes = connection.execute(text("SELECT total_changes()")).scalar() - before
                    connection.commit()  # each step its own short transaction: writers wait a few ms at most
                    if changes < 2:  # FTS5's documented test: fewer than 2 changes means nothing was merged
                        break
                    steps += 1
            # Outside any transaction (the driver is in autocommit mode); PASSIVE never blocks writers.
            connection.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return steps

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)


def start_maintenance(engine: Engine, interval: float = INTERVAL_SECONDS) -> SqliteMaintenance | None:
    """Start upkeep for a SQLite engine (None for other databases, which need none of it)."""
    if engine.dialect.name != "sqlite":
        return None
    return SqliteMaintenance(engine, interval)
