"""Background upkeep (storage/maintenance.py): search-index merges, WAL checkpoints and GIN pending-list
cleanups leave the write path."""

from __future__ import annotations

from sqlalchemy import Engine, text

from storage.engine import make_sessionmaker
from storage.maintenance import start_maintenance
from storage.repository import add_message, create_conversation, list_conversations


def test_sqlite_upkeep_merges_the_search_index_and_checkpoints(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # see the PostgreSQL test below
    with engine.connect() as connection:
        automerge = connection.execute(text("SELECT v FROM messages_fts_config WHERE k = 'automerge'")).scalar()
    assert automerge == 0  # migration 0003: no merging inside commits

    maintenance = start_maintenance(engine, interval=3600)  # ticks driven by the test
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            chat = create_conversation(session, title="upkeep")
        for number in range(40):  # one commit each: one index segment each
            with sessions.begin() as session:
                add_message(session, chat.id, role="user", content=f"message number {number} about kubernetes")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            segments_before = connection.execute(text("SELECT count(*) FROM messages_fts_idx")).scalar()

        steps = [maintenance.run_once() for _ in range(10)]

        assert steps[0] > 0 and steps[-1] == 0  # merged, then nothing left to merge
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM messages_fts_idx")).scalar() < segments_before
        with sessions.begin() as session:
            assert [c.id for c in list_conversations(session, search="KUBERNETES").items] == [chat.id]
    finally:
        maintenance.stop()


def test_postgres_upkeep_empties_the_search_index_pending_list(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return  # see the SQLite test above
    maintenance = start_maintenance(engine, interval=3600)  # ticks driven by the test
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            chat = create_conversation(session, title="upkeep")
        for number in range(40):  # each insert lands in the GIN index's pending list (fastupdate)
            with sessions.begin() as session:
                add_message(session, chat.id, role="user", content=f"message number {number} about kubernetes {number * 7919}")

        removed = [maintenance.run_once() for _ in range(3)]

        assert removed[0] > 0 and removed[1:] == [0, 0]  # moved into the index, then nothing left
        with sessions.begin() as session:
            assert [c.id for c in list_conversations(session, search="KUBERNETES 7919").items] == [chat.id]
    finally:
        maintenance.stop()
