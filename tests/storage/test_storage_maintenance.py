"""Background upkeep (storage/maintenance.py): search-index merges, WAL checkpoints and GIN pending-list
cleanups leave the write path. One test, run on both backends, each checking its own upkeep."""

from __future__ import annotations

from sqlalchemy import Engine, text

from storage.engine import make_sessionmaker
from storage.maintenance import PostgresMaintenance, SqliteMaintenance, start_maintenance
from storage.repository import add_message, create_conversation, list_conversations


def _forty_commits(engine: Engine) -> str:
    """Forty messages, one commit each (one FTS5 segment each; one pending-list entry set each)."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        chat = create_conversation(session, title="upkeep")
    for number in range(40):
        with sessions.begin() as session:
            add_message(session, chat.id, role="user", content=f"message number {number} about kubernetes {number * 7919}")
    return chat.id


def test_upkeep_moves_search_index_work_out_of_commits(engine: Engine) -> None:
    maintenance = start_maintenance(engine, interval=3600)  # ticks driven by the test
    try:
        if engine.dialect.name == "sqlite":
            assert isinstance(maintenance, SqliteMaintenance)
            _sqlite_upkeep(engine, maintenance)
        else:
            assert isinstance(maintenance, PostgresMaintenance)
            _postgres_upkeep(engine, maintenance)
        with make_sessionmaker(engine).begin() as session:
            assert len(list_conversations(session, search="KUBERNETES 7919").items) == 1
    finally:
        maintenance.stop()


def _sqlite_upkeep(engine: Engine, maintenance: SqliteMaintenance) -> None:
    with engine.connect() as connection:
        automerge = connection.execute(text("SELECT v FROM messages_fts_config WHERE k = 'automerge'")).scalar()
    assert automerge == 0  # migration 0003: no merging inside commits
    _forty_commits(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        segments_before = connection.execute(text("SELECT count(*) FROM messages_fts_idx")).scalar()

    steps = [maintenance.run_once() for _ in range(10)]

    assert steps[0] > 0 and steps[-1] == 0  # merged, then nothing left to merge
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages_fts_idx")).scalar() < segments_before


def _postgres_upkeep(engine: Engine, maintenance: PostgresMaintenance) -> None:
    _forty_commits(engine)  # each insert lands in the GIN index's pending list (fastupdate)

    removed = [maintenance.run_once() for _ in range(3)]

    assert removed[0] > 0 and removed[1:] == [0, 0]  # moved into the index, then nothing left
