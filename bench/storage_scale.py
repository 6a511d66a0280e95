"""Benchmark 4: storage with 100,000 conversations and 1,000,000 messages, on SQLite and PostgreSQL.

Four operations, each through `ChatService` (the calls the chat page makes, each its own
transaction, commit included): the sidebar page (15 conversations, one of the first 20 pages),
opening a conversation (get it, recover interrupted replies, the latest 40 messages and the
count), searching (terms from common to absent, see `storage_data.workload`) and appending a
message. Operations are interleaved round by round so that noise from other processes hits all of
them alike; the figure is the p99 per operation. Appended rows are removed afterwards, so the
cached data set stays as generated.

The data is generated once per size and kept: a SQLite file under bench/results/cache/ and a
PostgreSQL database `portal_bench_<size>` (PORTAL_BENCH_POSTGRES_URL names the server; default
the test server). Both are rebuilt when the generator's DATA_VERSION changes.
"""

from __future__ import annotations

import gc
import os
import random
import re
import time
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from storage.engine import make_engine, make_sessionmaker
from storage.maintenance import start_maintenance
from storage.migrate import upgrade_to_head

from . import storage_data as data
from .common import RESULTS_DIR, Result, percentile

CACHE_DIR = RESULTS_DIR / "cache"
POSTGRES_URL = os.environ.get("PORTAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FULL = data.Sizes(100_000, 1_000_000)
QUICK = data.Sizes(300, 3_000)
SIDEBAR_PAGES = 20
P99_TARGET_MS = 50.0
APPEND_TARGET_MS = 5.0


def _log(message: str) -> None:
    print(f"  [storage] {message}", flush=True)


class Dataset:
    """Generated once per size and reused by both backends."""

    def __init__(self, sizes: data.Sizes):
        self.sizes = sizes
        self._generated: data.Generated | None = None
        self.workload_path = CACHE_DIR / f"workload-{sizes.key}.json"

    def generated(self) -> data.Generated:
        if self._generated is None:
            started = time.perf_counter()
            self._generated = data.generate(self.sizes)
            data.save_workload(self.workload_path, data.workload(self._generated, self.sizes))
            _log(
                f"generated {self.sizes.conversations:,} conversations / {self.sizes.messages:,} messages in {time.perf_counter() - started:.1f} s"
            )
        return self._generated

    def workload(self) -> data.Workload:
        if not self.workload_path.exists():
            self.generated()
        return data.read_workload(self.workload_path)


def prepare_sqlite(dataset: Dataset) -> tuple[Engine, dict]:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"storage-{dataset.sizes.key}.db"
    url = f"sqlite:///{path.as_posix()}"
    info: dict = {}
    if path.exists():
        engine = make_engine(url)
        if data.has_marker(engine, dataset.sizes.key) and dataset.workload_path.exists():
            upgrade_to_head(engine)
            return engine, info
        engine.dispose()
    for stale in CACHE_DIR.glob(f"storage-v*-{dataset.sizes.conversations}c-{dataset.sizes.messages}m.db*"):
        stale.unlink()  # this size from an older generator, or an unfinished build
    engine = make_engine(url)
    data.migrate_to(engine, "0002")
    started = time.perf_counter()
    data.load_sqlite(path, dataset.generated())
    info["load_s"] = round(time.perf_counter() - started, 1)
    info["migration_0003_s"] = round(data.migrate_to(engine, "head"), 1)
    data.write_marker(engine, dataset.sizes.key)
    _log(f"SQLite: loaded in {info['load_s']} s, migration 0003 (search index) took {info['migration_0003_s']} s")
    return engine, info


def _postgres_admin() -> Engine | None:
    engine = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError:
        engine.dispose()
        return None
    return engine


def prepare_postgres(dataset: Dataset) -> tuple[Engine | None, dict]:
    admin = _postgres_admin()
    if admin is None:
        return None, {"skipped": f"PostgreSQL not reachable at {make_url(POSTGRES_URL).render_as_string(hide_password=True)}"}
    name = "portal_bench_" + re.sub(r"[^a-z0-9]", "_", dataset.sizes.key.lower())
    url = make_url(POSTGRES_URL).set(database=name)
    info: dict = {}
    try:
        suffix = name.split("_", 3)[-1]  # the size part of the key
        with admin.connect() as connection:
            for stale in connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'portal_bench_v%'")
            ).scalars():
                if stale != name and stale.endswith(suffix):  # this size from an older generator
                    connection.execute(text(f'DROP DATABASE "{stale}" WITH (FORCE)'))
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists:
            engine = make_engine(url)
            if data.has_marker(engine, dataset.sizes.key) and dataset.workload_path.exists():
                upgrade_to_head(engine)
                return engine, info
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    engine = make_engine(url)
    data.migrate_to(engine, "0002")
    started = time.perf_counter()
    data.load_postgres(engine, dataset.generated())
    info["load_s"] = round(time.perf_counter() - started, 1)
    info["migration_0003_s"] = round(data.migrate_to(engine, "head"), 1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    data.write_marker(engine, dataset.sizes.key)
    _log(f"PostgreSQL: loaded in {info['load_s']} s, migration 0003 (search index) took {info['migration_0003_s']} s")
    return engine, info


def measure(engine: Engine, work: data.Workload, sizes: data.Sizes, rounds: int) -> dict[str, list[float]]:
    """Timings (ms) per operation; each round runs every operation a few times, interleaved.

    The engine gets the app's background upkeep (storage/maintenance.py), as the app's does."""
    maintenance = start_maintenance(engine)
    try:
        return _measure(engine, work, sizes, rounds)
    finally:
        if maintenance is not None:
            maintenance.stop()


def _measure(engine: Engine, work: data.Workload, sizes: data.Sizes, rounds: int) -> dict[str, list[float]]:
    service = ChatService(make_sessionmaker(engine), backend=None, owner=sizes.owner)  # type: ignore[arg-type]
    rng = random.Random(7)
    settings = ChatSettings()
    timings: dict[str, list[float]] = {"sidebar": [], "open": [], "search": [], "append": []}
    appended: list[int] = []
    touched: dict[str, tuple] = {}
    with engine.connect() as connection:  # to put the appended-to conversations back as they were
        for conversation_id in work.conversation_ids:
            touched[conversation_id] = tuple(
                connection.execute(
                    text("SELECT updated_at, message_count FROM conversations WHERE id = :i"), {"i": conversation_id}
                ).one()
            )

    def timed(name: str, operation: Callable[[], object]) -> None:
        started = time.perf_counter()
        operation()
        timings[name].append((time.perf_counter() - started) * 1000)

    def open_conversation(conversation_id: str) -> None:
        service.get_conversation(conversation_id)
        service.recover_interrupted(conversation_id)
        service.recent_messages(conversation_id, 40)

    def append(conversation_id: str) -> None:
        appended.append(service.add_user_message(conversation_id, "benchmark append: how does this scale?", settings).id)

    terms = list(work.search_terms.values())
    try:
        for _ in range(rounds):
            for _ in range(10):
                timed(
                    "sidebar", lambda: service.list_conversations(limit=15, offset=15 * rng.randrange(SIDEBAR_PAGES), search=None)
                )
                conversation_id = rng.choice(work.conversation_ids)
                timed("open", lambda c=conversation_id: open_conversation(c))
                timed("append", lambda: append(rng.choice(work.conversation_ids)))
            for term in terms:
                timed("search", lambda t=term: service.list_conversations(limit=15, offset=0, search=t))
    finally:
        with engine.begin() as connection:
            for start in range(0, len(appended), 500):
                ids = appended[start : start + 500]
                connection.execute(text(f"DELETE FROM messages WHERE id IN ({','.join(str(i) for i in ids)})"))
            for conversation_id, (updated_at, count) in touched.items():
                connection.execute(
                    text("UPDATE conversations SET updated_at = :u, message_count = :c WHERE id = :i"),
                    {"u": updated_at, "c": count, "i": conversation_id},
                )
    return timings


def warm_up(engine: Engine, work: data.Workload, sizes: data.Sizes) -> None:
    """Open each of the workload's conversations once, as a portal in use keeps the conversations its
    users work in (and their index pages) in memory: the figures are for a warm database, not for
    the first touch of a page after another benchmark pushed it out of the caches."""
    service = ChatService(make_sessionmaker(engine), backend=None, owner=sizes.owner)  # type: ignore[arg-type]
    for conversation_id in work.conversation_ids:
        service.get_conversation(conversation_id)
        service.recent_messages(conversation_id, 40)


def search_breakdown(engine: Engine, work: data.Workload, sizes: data.Sizes, repeats: int = 5) -> dict[str, float]:
    """Median ms per search term (informational: which kinds of text are slow)."""
    service = ChatService(make_sessionmaker(engine), backend=None, owner=sizes.owner)  # type: ignore[arg-type]
    result = {}
    for label, term in work.search_terms.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            service.list_conversations(limit=15, offset=0, search=term)
            samples.append((time.perf_counter() - started) * 1000)
        result[f"{label} ({term!r})"] = round(sorted(samples)[len(samples) // 2], 2)
    return result


def _results(backend: str, sizes: data.Sizes, timings: dict[str, list[float]], extra: dict) -> list[Result]:
    labels = {
        "sidebar": f"sidebar page (15 of {sizes.conversations:,} conversations)",
        "open": "open a conversation (latest 40 messages)",
        "search": f"search titles and {sizes.messages:,} messages",
        "append": "append a message (commit included)",
    }
    results = []
    for name, label in labels.items():
        value = percentile(timings[name], 99)
        target = APPEND_TARGET_MS if name == "append" else P99_TARGET_MS
        results.append(
            Result(
                4,
                f"{backend}: {label}, p99",
                value,
                "ms",
                f"p99 < {target:g} ms",
                value < target,
                note=f"{len(timings[name])} samples, median {percentile(timings[name], 50):.2f} ms",
                extra={**extra, "samples_ms": [round(t, 3) for t in timings[name]]}
                if name == "search"
                else {"samples_ms": [round(t, 3) for t in timings[name]]},
            )
        )
    return results


def run(quick: bool = False) -> list[Result]:
    sizes = QUICK if quick else FULL
    dataset = Dataset(sizes)
    rounds = 2 if quick else 40
    results: list[Result] = []
    for backend, prepare in (("SQLite", prepare_sqlite), ("PostgreSQL", prepare_postgres)):
        engine, info = prepare(dataset)
        if engine is None:
            results.append(Result(4, f"{backend}: storage benchmark", float("nan"), "", "", None, note=info["skipped"]))
            continue
        try:
            work = dataset.workload()
            warm_up(engine, work, sizes)
            measure(engine, work, sizes, 1)  # warm the pool and the statement caches
            gc.collect()
            gc.freeze()  # what the app does after its first page run (components/resources.settle_memory)
            timings = measure(engine, work, sizes, rounds)
            info["search_median_ms_by_term"] = search_breakdown(engine, work, sizes, 3 if quick else 5)
            results.extend(_results(backend, sizes, timings, info))
        finally:
            engine.dispose()
    return results
