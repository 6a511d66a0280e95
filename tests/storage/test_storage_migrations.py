"""Alembic owns the schema: upgrading works, is idempotent and race-free."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from storage.engine import make_sessionmaker
from storage.migrate import alembic_config, current_revision, upgrade_to_head
from storage.models import Base
from storage.repository import add_message, branch_messages, create_conversation, get_conversation, list_conversations
from storage.search import include_object
from tests.storage.support import TestDatabase, insert_legacy_conversation, insert_legacy_message


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# SQLite cannot reflect the expression index of 0006 (unique folder names, on COALESCE(parent_id, '')), so
# on SQLite it is left out of the comparison, with these warnings; PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_upgrade_from_empty_creates_tables_matching_the_models(
    empty_engine: Engine,
) -> None:
    assert current_revision(empty_engine) is None

    upgrade_to_head(empty_engine)

    assert current_revision(empty_engine) == _head() == "0007_shares"
    inspector = inspect(empty_engine)
    assert {"conversations", "folders", "messages", "embedding_cache", "collections", "shares", "alembic_version"} <= set(
        inspector.get_table_names()
    )
    assert {ix["name"] for ix in inspector.get_indexes("conversations")} >= {
        "ix_conversations_owner_updated_at",
        "ix_conversations_owner_title",
    }
    assert {"ix_messages_conversation_id_id", "ix_messages_conversation_id_parent_id"} <= {
        ix["name"] for ix in inspector.get_indexes("messages")
    }
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_twice_is_a_no_op_and_keeps_data(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        created = create_conversation(session, title="kept")

    upgrade_to_head(engine)

    assert current_revision(engine) == _head()
    with factory.begin() as session:
        assert [c.id for c in list_conversations(session).items] == [created.id]


def test_concurrent_upgrades_from_two_engines_do_not_race(
    database: TestDatabase,
) -> None:
    engines = [database.new_engine(), database.new_engine()]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def migrate(engine: Engine) -> None:
        try:
            barrier.wait(timeout=10)
            upgrade_to_head(engine)
        except BaseException as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert all(current_revision(e) == _head() for e in engines)


def test_downgrade_to_base_removes_the_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")

    assert current_revision(engine) is None
    tables = set(inspect(engine).get_table_names())
    assert not {"conversations", "messages", "embedding_cache"} & tables


def test_upgrade_to_0004_links_existing_messages_into_one_branch(empty_engine: Engine) -> None:
    """Conversations written before branches existed become one branch each, still searchable."""
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    factory = make_sessionmaker(empty_engine)
    with empty_engine.begin() as connection:
        c1 = insert_legacy_conversation(connection, "c1", ["q1"])
        c2 = insert_legacy_conversation(connection, "c2", ["other"])
        for cid, content in ((c1, "a1 about kestrels"), (c1, "q2"), (c2, "other reply")):  # interleaved ids
            insert_legacy_message(connection, cid, content)

    upgrade_to_head(empty_engine)

    with factory.begin() as session:
        messages, length = branch_messages(session, c1)
        assert ([m.content for m in messages], length) == (["q1", "a1 about kestrels", "q2"], 3)
        assert [m.parent_id for m in messages] == [None, messages[0].id, messages[1].id]
        assert [m.depth for m in messages] == [0, 1, 2]
        assert [m.content for m in branch_messages(session, c2)[0]] == ["other", "other reply"]
        assert get_conversation(session, c1).pinned is False  # type: ignore[union-attr]
        # The search index of 0003 still follows every change.
        added = add_message(session, c1, role="assistant", content="a2 about ospreys")
        assert added.parent_id == messages[2].id
        assert [c.id for c in list_conversations(session, search="ospreys").items] == [c1]
        assert [c.id for c in list_conversations(session, search="kestrels").items] == [c1]


_MIGRATE_SCRIPT = """
import json, sys, time
sys.path.insert(0, {root!r})
from storage.engine import make_engine
from storage.migrate import current_revision, upgrade_to_head
args = json.loads(sys.argv[1])
engine = make_engine(args["url"], connect_args=args["connect_args"])
time.sleep(max(0.0, args["start_at"] - time.time()))
upgrade_to_head(engine)
print(current_revision(engine))
"""


def test_concurrent_upgrades_from_several_processes_do_not_race(
    database: TestDatabase,
) -> None:
    root = str(Path(__file__).resolve().parents[2])
    script = _MIGRATE_SCRIPT.format(root=root)
    args = json.dumps(
        {
            "url": database.url,
            "connect_args": database.connect_args,
            "start_at": time.time() + 3,
        }
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in processes]

    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr
        assert stdout.strip() == _head()
