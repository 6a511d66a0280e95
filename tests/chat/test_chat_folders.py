"""Folders in the chat page's sidebar, through Streamlit's AppTest with the real router, the offline
server and a real SQLite file: create a folder, move a conversation into it, give it defaults, start a
chat in it (which takes them), delete it (its conversations are kept)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Engine, event
from streamlit.testing.v1 import AppTest

from portal.chat_settings import DEFAULT_SYSTEM_PROMPT
from portal.markdown_text import escape_markdown
from storage import repository
from storage.records import FolderRecord
from tests.apptest import PortalApp, assert_no_exception, open_app
from tests.chat.page import sidebar_conversations, sidebar_groups
from tests.chat.support import unique


def run(app: AppTest) -> AppTest:
    app.run()
    assert_no_exception(app)
    return app


def folders(portal_app: PortalApp) -> list[FolderRecord]:
    with portal_app.sessions.begin() as session:
        return repository.list_folders(session)


def conversation(portal_app: PortalApp, conversation_id: str):
    with portal_app.sessions.begin() as session:
        return repository.get_conversation(session, conversation_id)


def seed(portal_app: PortalApp, title: str, folder_id: str | None = None) -> str:
    with portal_app.sessions.begin() as session:
        record = repository.create_conversation(session, title=title, folder_id=folder_id)
        repository.add_message(session, record.id, role="user", content="hello")
        repository.add_message(session, record.id, role="assistant", content="hi", model="local-chat")
    return record.id


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL every engine in this process runs inside the block (the app's included)."""
    seen: list[str] = []

    def listener(connection, cursor, statement, *args) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", listener)


def folder_queries(seen: list[str]) -> tuple[int, int]:
    """(queries listing folders, queries reading folders' conversations) among `seen`."""
    return sum("FROM folders" in s for s in seen), sum("conversations.folder_id = " in s for s in seen)


def system_prompt_box(app: AppTest):
    """The settings panel's system prompt (the one drawn: the panel is keyed by conversation or draft)."""
    [box] = [t for t in app.text_area if t.label == "System prompt"]
    return box


def expander_labels(app: AppTest) -> list[str]:
    """The folders' labels in the sidebar (every expander there but the import box), outer ones first."""
    return [e.label for e in app.sidebar.expander if e.label != "Import a conversation"]


def test_create_file_start_a_chat_with_the_defaults_and_delete_keeping_the_conversations(portal_app: PortalApp) -> None:
    loose = seed(portal_app, "Loose chat")
    app = open_app()
    assert expander_labels(app) == []
    assert sidebar_conversations(app) == ["Loose chat"]

    # A new folder, named with Markdown that must show as typed.
    app.button(key="folder_new").click()
    run(app)
    app.text_input(key="folder_create_name").input("Work *plans* [x](http://e.com)")
    app.button(key="folder_create_go").click()
    run(app)
    [folder] = folders(portal_app)
    assert folder.name == "Work *plans* [x](http://e.com)"
    assert expander_labels(app) == [r"Work \*plans\* \[x\](http\://e.com)"]  # escaped: no italics, no link
    assert "Folders" in sidebar_groups(app)

    # Move the loose conversation into it from the row's menu.
    app.menu_button(key=f"conv_menu_{loose}").click("Move to folder")
    run(app)
    app.selectbox(key=f"move_target_{loose}").set_value(folder.id)
    app.button(key="move_go").click()
    run(app)
    assert conversation(portal_app, loose).folder_id == folder.id
    assert sidebar_groups(app) == ["Folders"]  # no date group: nothing is left outside a folder
    assert sidebar_conversations(app) == ["Loose chat"]  # shown inside the (now open) folder
    assert expander_labels(app) == [r"Work \*plans\* \[x\](http\://e.com)"]

    # Give the folder a default system prompt and model.
    app.menu_button(key=f"folder_menu_{folder.id}").click("Defaults")
    run(app)
    app.text_area(key=f"folder_prompt_{folder.id}").input("You are a ship's navigator.")
    app.selectbox(key=f"folder_model_{folder.id}").set_value("local-chat")
    app.button(key="folder_defaults_go").click()
    run(app)
    [folder] = folders(portal_app)
    assert (folder.system_prompt, folder.model) == ("You are a ship's navigator.", "local-chat")

    # Rename it (the folder stays open, with its conversation), and back.
    for name in ("Renamed", "Work *plans* [x](http://e.com)"):
        app.menu_button(key=f"folder_menu_{folder.id}").click("Rename")
        run(app)
        app.text_input(key=f"folder_rename_{folder.id}").input(name)
        app.button(key="folder_rename_go").click()
        run(app)
        assert expander_labels(app) == [escape_markdown(name)]
        assert sidebar_conversations(app) == ["Loose chat"]

    # The Move dialog names it as typed too (a select box's label is Markdown).
    app.menu_button(key=f"folder_menu_{folder.id}").click("Move")
    run(app)
    assert app.selectbox(key=f"folder_move_{folder.id}").label == r"Move “Work \*plans\* \[x\](http\://e.com)” into"
    app.button(key="folder_move_cancel").click()
    run(app)

    # "New chat here" (from a plain new chat, whose settings panel is drawn with the usual prompt) starts a
    # draft in the folder with its defaults; the first message stores it there.
    app.button(key="new_chat").click()
    run(app)
    assert system_prompt_box(app).value == DEFAULT_SYSTEM_PROMPT
    app.button(key=f"folder_chat_{folder.id}").click()
    run(app)
    assert any("A new chat in the folder" in c.value for c in app.caption)
    assert system_prompt_box(app).value == "You are a ship's navigator."
    app.chat_input[0].set_value(unique("plot a course")).run()
    assert_no_exception(app)
    created = conversation(portal_app, app.query_params["c"])
    assert created is not None and created.folder_id == folder.id
    assert created.settings["system_prompt"] == "You are a ship's navigator."
    assert created.settings["model"] == "local-chat"

    # A plain "New chat" afterwards is in no folder and has the usual defaults again.
    app.button(key="new_chat").click()
    run(app)
    assert not any("A new chat in the folder" in c.value for c in app.caption)
    assert system_prompt_box(app).value == DEFAULT_SYSTEM_PROMPT

    # Delete the folder: the confirmation says the conversations are kept, and they are.
    app.menu_button(key=f"folder_menu_{folder.id}").click("Delete")
    run(app)
    assert any("conversations are kept" in m.value for m in app.markdown)
    app.button(key="folder_delete_go").click()
    run(app)
    assert folders(portal_app) == []
    assert conversation(portal_app, loose).folder_id is None
    assert conversation(portal_app, created.id).folder_id is None
    assert expander_labels(app) == []
    assert sorted(sidebar_conversations(app)) == sorted(["Loose chat", created.title])


def test_nested_folders_show_inside_their_parent_and_a_cycle_is_not_offered(portal_app: PortalApp) -> None:
    with portal_app.sessions.begin() as session:
        work = repository.create_folder(session, name="Work")
        reports = repository.create_folder(session, name="Reports", parent_id=work.id)
        q1 = repository.create_folder(session, name="Q1", parent_id=reports.id)
    inside = seed(portal_app, "Quarterly numbers", q1.id)

    app = open_app(inside)  # the open conversation's folders start open
    assert expander_labels(app) == ["Work", "Reports", "Q1"]
    assert sidebar_conversations(app) == ["Quarterly numbers"]
    outer = app.sidebar.expander[0]
    assert [e.label for e in outer.expander] == ["Reports", "Q1"]  # nested inside Work

    app.menu_button(key=f"folder_menu_{work.id}").click("Move")
    run(app)
    options = app.selectbox(key=f"folder_move_{work.id}").options
    assert options == ["Top level (no folder)"]  # not itself, not its subfolders

    app.button(key="folder_move_cancel").click()
    run(app)
    app.menu_button(key=f"folder_menu_{q1.id}").click("Move")
    run(app)
    app.selectbox(key=f"folder_move_{q1.id}").set_value("")  # the top level
    app.button(key="folder_move_go").click()
    run(app)
    assert {f.name: f.parent_id for f in folders(portal_app)}["Q1"] is None
    assert sorted(expander_labels(app)) == ["Q1", "Reports", "Work"]


def test_one_query_lists_the_folders_and_a_closed_folder_reads_none_of_its_conversations(portal_app: PortalApp) -> None:
    with portal_app.sessions.begin() as session:
        folder = repository.create_folder(session, name="Closed")
        for index in range(5):
            repository.create_folder(session, name=f"Other {index}")
    seed(portal_app, "Hidden inside", folder.id)
    seed(portal_app, "Outside")

    with statements() as seen:
        app = open_app()

    assert expander_labels(app) == ["Closed", "Other 0", "Other 1", "Other 2", "Other 3", "Other 4"]
    assert folder_queries(seen) == (1, 0)  # six folders, one query; none open, so no conversations read
    assert sidebar_conversations(app) == ["Outside"]
    assert not [b for b in app.sidebar.button if (b.key or "").startswith("folder_chat_")]  # nothing drawn inside
    app.session_state[f"folder_{folder.id}"] = True  # the user opens it
    with statements() as seen:
        run(app)
    assert folder_queries(seen) == (1, 1)
    assert sidebar_conversations(app) == ["Hidden inside", "Outside"]
    assert app.button(key=f"folder_chat_{folder.id}").label == "New chat here"
