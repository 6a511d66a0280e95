"""Folders of conversations on SQLite and PostgreSQL: create, list, rename, move (cycles refused),
defaults, delete (everything inside is kept and moves up), owner isolation, and the upgrade from 0005."""

from __future__ import annotations

import threading
import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import make_sessionmaker
from storage.migrate import alembic_config, current_revision, upgrade_to_head
from storage.repository import (
    FolderCycle,
    FolderNameTaken,
    FolderNotFound,
    add_message,
    create_conversation,
    create_folder,
    delete_conversation,
    delete_folder,
    export_conversation,
    get_conversation,
    get_folder,
    import_conversation,
    list_conversations,
    list_folder_conversations,
    list_folders,
    move_folder,
    rename_folder,
    set_conversation_folder,
    set_folder_defaults,
    touch,
)
from tests.storage.support import TestDatabase, insert_legacy_conversation


def _tree(session: Session, owner: str = "") -> dict[str, str | None]:
    """name -> parent's name, for every folder of `owner`."""
    folders = list_folders(session, owner=owner)
    names = {f.id: f.name for f in folders}
    return {f.name: names.get(f.parent_id) if f.parent_id else None for f in folders}


def test_create_and_list_folders_with_their_conversation_counts(session: Session) -> None:
    work = create_folder(session, name="  Work   stuff ")
    reports = create_folder(session, name="reports", parent_id=work.id, system_prompt="Be formal.", model="gpt-4o")
    create_folder(session, name="Archive")
    for _ in range(2):
        create_conversation(session, folder_id=reports.id)
    create_conversation(session, folder_id=work.id)
    create_conversation(session)

    assert work.name == "Work stuff" and work.parent_id is None
    assert (reports.parent_id, reports.system_prompt, reports.model) == (work.id, "Be formal.", "gpt-4o")
    listed = list_folders(session, counts=True)
    assert [f.name for f in listed] == ["Archive", "reports", "Work stuff"]  # by name, case-insensitively
    assert {f.name: f.conversation_count for f in listed} == {"Archive": 0, "reports": 2, "Work stuff": 1}
    assert get_folder(session, reports.id) == listed[1]
    assert [(f.name, f.conversation_count) for f in list_folders(session)][0] == ("Archive", None)  # not counted
    assert get_folder(session, "not-a-uuid") is None
    with pytest.raises(ValueError, match="name"):
        create_folder(session, name="   ")
    with pytest.raises(ValueError, match="at most 200"):
        create_folder(session, name="x" * 201)
    assert create_folder(session, name="a\x00b\x1bc\nd", model="m\x00").name == "abc d"  # PostgreSQL refuses NUL
    with pytest.raises(FolderNotFound):
        create_folder(session, name="orphan", parent_id=str(uuid.uuid4()))


def test_names_are_unique_per_parent_only(session: Session) -> None:
    work = create_folder(session, name="Work")
    home = create_folder(session, name="Home")
    create_folder(session, name="Notes", parent_id=work.id)
    create_folder(session, name="Notes", parent_id=home.id)  # same name, another parent: fine
    create_folder(session, name="Notes")  # and at the top level

    with pytest.raises(FolderNameTaken):
        create_folder(session, name="Notes", parent_id=work.id)
    with pytest.raises(FolderNameTaken):
        create_folder(session, name=" Work ")  # the top level is one place too (NULL parents collide)
    with pytest.raises(FolderNameTaken):
        rename_folder(session, home.id, "Work")
    assert rename_folder(session, home.id, "Home").name == "Home"  # its own name is not taken
    create_folder(session, name="Notes", owner="bob")  # another owner's names do not count


def test_the_database_refuses_a_duplicate_name_even_past_the_repository(session: Session) -> None:
    """The unique index itself (on COALESCE(parent_id, '')) holds at the top level, where NULLs would not collide."""
    from storage.models import Folder

    create_folder(session, name="Twice")
    session.add(Folder(id=str(uuid.uuid4()), owner="", name="Twice", parent_id=None))
    with pytest.raises(Exception, match="(?i)unique"):
        session.flush()
    session.rollback()


def test_rename_folder(session: Session) -> None:
    folder = create_folder(session, name="Draft")
    renamed = rename_folder(session, folder.id, " Final *plan* ")
    assert renamed.name == "Final *plan*"
    assert renamed.updated_at > folder.updated_at
    assert [f.name for f in list_folders(session)] == ["Final *plan*"]
    with pytest.raises(FolderNotFound):
        rename_folder(session, str(uuid.uuid4()), "x")


def test_move_folder_and_everything_in_it(session: Session) -> None:
    work = create_folder(session, name="Work")
    home = create_folder(session, name="Home")
    reports = create_folder(session, name="Reports", parent_id=work.id)
    q1 = create_folder(session, name="Q1", parent_id=reports.id)
    chat = create_conversation(session, folder_id=q1.id)

    moved = move_folder(session, reports.id, home.id)

    assert moved.parent_id == home.id
    assert _tree(session) == {"Home": None, "Reports": "Home", "Q1": "Reports", "Work": None}
    assert get_conversation(session, chat.id).folder_id == q1.id  # type: ignore[union-attr]
    assert move_folder(session, reports.id, None).parent_id is None  # to the top level
    assert _tree(session)["Reports"] is None


def test_moving_a_folder_under_itself_or_a_descendant_is_refused(session: Session) -> None:
    a = create_folder(session, name="A")
    b = create_folder(session, name="B", parent_id=a.id)
    c = create_folder(session, name="C", parent_id=b.id)

    for target in (a, b, c):
        with pytest.raises(FolderCycle):
            move_folder(session, a.id, target.id)
    with pytest.raises(FolderCycle):
        move_folder(session, b.id, c.id)
    assert _tree(session) == {"A": None, "B": "A", "C": "B"}  # nothing changed
    assert move_folder(session, c.id, a.id).parent_id == a.id  # up the tree is fine


def test_moving_into_a_folder_that_holds_the_name_is_refused(session: Session) -> None:
    a = create_folder(session, name="A")
    create_folder(session, name="Notes", parent_id=a.id)
    notes = create_folder(session, name="Notes")
    with pytest.raises(FolderNameTaken):
        move_folder(session, notes.id, a.id)
    with pytest.raises(FolderNotFound):
        move_folder(session, notes.id, str(uuid.uuid4()))


def test_defaults_are_set_cleared_and_kept_when_left_out(session: Session) -> None:
    folder = create_folder(session, name="Legal")
    assert (folder.system_prompt, folder.model) == (None, None)
    updated = set_folder_defaults(session, folder.id, system_prompt="You are a lawyer.", model=" gpt-4o ")
    assert (updated.system_prompt, updated.model) == ("You are a lawyer.", "gpt-4o")
    assert set_folder_defaults(session, folder.id, model=None).system_prompt == "You are a lawyer."  # prompt kept
    cleared = set_folder_defaults(session, folder.id, system_prompt="  ", model="")
    assert (cleared.system_prompt, cleared.model) == (None, None)  # blank = no default
    with pytest.raises(FolderNotFound):
        set_folder_defaults(session, str(uuid.uuid4()), model="x")


def test_conversations_move_in_and_out_of_folders_and_the_order_is_kept(session: Session) -> None:
    folder = create_folder(session, name="Project")
    older = create_conversation(session, title="older")
    newer = create_conversation(session, title="newer")

    filed = set_conversation_folder(session, older.id, folder.id)

    assert filed is not None and filed.folder_id == folder.id
    assert filed.updated_at == older.updated_at  # filing does not move it to the top
    assert [c.title for c in list_conversations(session, unfiled=True).items] == ["newer"]
    assert [c.title for c in list_conversations(session).items] == ["newer", "older"]  # all of them
    assert [c.title for c in list_conversations(session, search="older").items] == ["older"]  # search covers folders
    with pytest.raises(ValueError):
        list_conversations(session, search="older", unfiled=True)
    assert set_conversation_folder(session, older.id, None).folder_id is None  # type: ignore[union-attr]
    assert set_conversation_folder(session, str(uuid.uuid4()), folder.id) is None
    with pytest.raises(FolderNotFound):
        set_conversation_folder(session, newer.id, str(uuid.uuid4()))


def test_folder_conversations_come_in_one_query_a_page_per_folder(engine: Engine, session: Session) -> None:
    a = create_folder(session, name="A")
    b = create_folder(session, name="B")
    empty = create_folder(session, name="Empty")
    in_a = [create_conversation(session, title=f"a{i}", folder_id=a.id) for i in range(4)]
    create_conversation(session, title="b0", folder_id=b.id)
    pinned = create_conversation(session, title="b-pinned", folder_id=b.id)
    create_conversation(session, title="unfiled")
    from storage.repository import set_pinned

    set_pinned(session, pinned.id, True)
    touch(session, in_a[0].id)  # a0 becomes the newest in A

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        pages = list_folder_conversations(session, [a.id, b.id, empty.id, str(uuid.uuid4())], limit=3)
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    assert len(statements) == 1
    assert [c.title for c in pages[a.id].items] == ["a0", "a3", "a2"] and pages[a.id].has_more
    assert [c.title for c in pages[b.id].items] == ["b-pinned", "b0"] and not pages[b.id].has_more
    assert pages[empty.id].items == ()
    assert list_folder_conversations(session, [a.id], owner="bob")[a.id].items == ()  # not bob's


def test_deleting_a_folder_keeps_its_conversations_and_subfolders_one_level_up(session: Session) -> None:
    work = create_folder(session, name="Work")
    reports = create_folder(session, name="Reports", parent_id=work.id)
    create_folder(session, name="Q1", parent_id=reports.id)
    create_folder(session, name="Old", parent_id=reports.id)
    create_folder(session, name="Old", parent_id=work.id)  # name clash when Reports' "Old" moves up
    in_reports = create_conversation(session, title="in reports", folder_id=reports.id)
    add_message(session, in_reports.id, role="user", content="kept")
    in_work = create_conversation(session, title="in work", folder_id=work.id)

    moved = delete_folder(session, reports.id)

    assert moved == 1
    assert get_folder(session, reports.id) is None
    assert _tree(session) == {"Work": None, "Q1": "Work", "Old": "Work", "Old (2)": "Work"}
    kept = get_conversation(session, in_reports.id)
    assert kept is not None and kept.folder_id == work.id and kept.message_count == 1
    assert get_conversation(session, in_work.id).folder_id == work.id  # type: ignore[union-attr]

    assert delete_folder(session, work.id) == 2  # a top-level folder: its conversations leave folders
    assert {c.title: c.folder_id for c in list_conversations(session).items} == {"in reports": None, "in work": None}
    assert _tree(session) == {"Q1": None, "Old": None, "Old (2)": None}
    with pytest.raises(FolderNotFound):
        delete_folder(session, work.id)


def test_a_subfolder_named_like_its_deleted_parent_takes_the_name(session: Session) -> None:
    outer = create_folder(session, name="Same")
    create_folder(session, name="Same", parent_id=outer.id)
    delete_folder(session, outer.id)
    assert _tree(session) == {"Same": None}


def test_deleting_a_conversation_leaves_its_folder(session: Session) -> None:
    folder = create_folder(session, name="F")
    chat = create_conversation(session, folder_id=folder.id)
    assert delete_conversation(session, chat.id)
    assert get_folder(session, folder.id).conversation_count == 0  # type: ignore[union-attr]


def test_export_leaves_the_folder_behind_and_an_import_lands_in_no_folder(session: Session) -> None:
    folder = create_folder(session, name="Secret project")
    chat = create_conversation(session, title="filed", folder_id=folder.id)
    add_message(session, chat.id, role="user", content="hello")

    data = export_conversation(session, chat.id)

    assert "folder" not in str(data).lower() and "Secret project" not in str(data)
    assert import_conversation(session, data).folder_id is None


def test_another_owners_folders_behave_as_not_found(session: Session) -> None:
    secret = create_folder(session, name="secret", owner="alice", system_prompt="alice's prompt")
    alices_chat = create_conversation(session, owner="alice", folder_id=secret.id)
    bobs_chat = create_conversation(session, owner="bob")

    for intruder in ("bob", ""):
        assert list_folders(session, owner=intruder) == list_folders(session, owner=intruder, counts=True) == []
        assert get_folder(session, secret.id, owner=intruder) is None
        with pytest.raises(FolderNotFound):
            rename_folder(session, secret.id, "mine", owner=intruder)
        with pytest.raises(FolderNotFound):
            move_folder(session, secret.id, None, owner=intruder)
        with pytest.raises(FolderNotFound):
            set_folder_defaults(session, secret.id, system_prompt="pwned", owner=intruder)
        with pytest.raises(FolderNotFound):
            delete_folder(session, secret.id, owner=intruder)
        with pytest.raises(FolderNotFound):
            create_folder(session, name="inside", parent_id=secret.id, owner=intruder)
        with pytest.raises(FolderNotFound):
            create_conversation(session, owner=intruder, folder_id=secret.id)
        assert set_conversation_folder(session, alices_chat.id, None, owner=intruder) is None
        assert list_folder_conversations(session, [secret.id], owner=intruder)[secret.id].items == ()
    with pytest.raises(FolderNotFound):  # bob cannot file his chat into alice's folder
        set_conversation_folder(session, bobs_chat.id, secret.id, owner="bob")
    bobs_folder = create_folder(session, name="mine", owner="bob")
    with pytest.raises(FolderNotFound):  # nor move alice's folder into his, nor his into hers
        move_folder(session, secret.id, bobs_folder.id, owner="alice")
    with pytest.raises(FolderNotFound):
        move_folder(session, bobs_folder.id, secret.id, owner="bob")

    [kept] = list_folders(session, owner="alice", counts=True)
    assert (kept.name, kept.parent_id, kept.system_prompt, kept.conversation_count) == ("secret", None, "alice's prompt", 1)
    assert get_conversation(session, alices_chat.id, owner="alice").folder_id == secret.id  # type: ignore[union-attr]
    assert get_conversation(session, bobs_chat.id, owner="bob").folder_id is None  # type: ignore[union-attr]


def test_upgrade_from_0005_keeps_conversations_in_no_folder(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    with empty_engine.begin() as connection:
        old = insert_legacy_conversation(connection, "before folders", ["q about herons"])

    upgrade_to_head(empty_engine)

    assert current_revision(empty_engine) == "0007_shares"  # 0006 and the migration after it
    factory = make_sessionmaker(empty_engine)
    with factory.begin() as session:
        record = get_conversation(session, old)
        assert record is not None and record.folder_id is None and record.title == "before folders"
        assert [c.id for c in list_conversations(session, unfiled=True).items] == [old]
        folder = create_folder(session, name="Birds")
        set_conversation_folder(session, old, folder.id)
        assert [c.id for c in list_conversations(session, search="herons").items] == [old]  # 0003's index still works
        assert list_folder_conversations(session, [folder.id])[folder.id].items[0].id == old


def test_downgrade_to_0005_drops_folders_and_keeps_conversations_searchable(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        folder = create_folder(session, name="Gone")
        chat = create_conversation(session, title="kestrel notes", folder_id=folder.id)

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")

    assert current_revision(engine) == "0005"
    with engine.begin() as connection:
        from sqlalchemy import inspect

        inspector = inspect(connection)
        assert "folders" not in inspector.get_table_names()
        assert "folder_id" not in {c["name"] for c in inspector.get_columns("conversations")}
        if engine.dialect.name == "sqlite":  # a native DROP COLUMN: the search triggers of 0003 are still there
            triggers = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
            assert {"conversations_fts_insert", "conversations_fts_update", "messages_fts_insert"} <= set(triggers)
    upgrade_to_head(engine)
    with factory.begin() as session:
        assert [c.id for c in list_conversations(session, search="kestrel").items] == [chat.id]


def test_two_moves_at_once_cannot_make_a_cycle(database: TestDatabase, session_factory: sessionmaker[Session]) -> None:
    """A moves under B in one open transaction while another moves B under A: the second waits for
    the first (the tree's rows are locked) and then sees the cycle, instead of checking a stale tree."""
    with session_factory.begin() as session:
        a = create_folder(session, name="A")
        b = create_folder(session, name="B")
    first_moved, release = threading.Event(), threading.Event()
    outcome: list[str] = []
    second_pid: list[int] = []

    def first() -> None:
        with session_factory.begin() as session:
            move_folder(session, a.id, b.id)
            first_moved.set()
            release.wait(timeout=60)

    def second() -> None:
        try:
            with session_factory.begin() as session:
                if database.backend == "postgresql":
                    second_pid.append(session.scalar(text("SELECT pg_backend_pid()")))
                move_folder(session, b.id, a.id)
            outcome.append("moved")
        except FolderCycle:
            outcome.append("cycle")
        except BaseException as exc:  # reported by the assert below
            outcome.append(repr(exc))

    one = threading.Thread(target=first)
    one.start()
    assert first_moved.wait(timeout=60)
    two = threading.Thread(target=second)
    two.start()
    if database.backend == "postgresql":  # release the first only once the second waits for its lock
        with database.new_engine().connect() as watcher:
            while two.is_alive():
                waiting = watcher.scalar(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": second_pid[0] if second_pid else -1}
                )
                watcher.rollback()
                if waiting == "Lock":
                    break
                two.join(timeout=0.05)
    # (SQLite: the second's BEGIN IMMEDIATE waits for the first's commit by itself.)
    release.set()
    one.join(timeout=60)
    two.join(timeout=60)

    assert outcome == ["cycle"]
    with session_factory.begin() as session:
        assert _tree(session) == {"A": "B", "B": None}
