"""The folder tree the sidebar draws from one query, and the settings a new chat in a folder begins with."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.chat_settings import DEFAULT_SYSTEM_PROMPT, ChatSettings
from portal.folders import FolderTree, new_chat_settings
from storage.records import FolderRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def folder(folder_id: str, name: str, parent: str | None = None, prompt: str | None = None, model: str | None = None) -> FolderRecord:
    return FolderRecord(folder_id, "", name, parent, prompt, model, NOW, NOW)


TREE = FolderTree.of(
    [
        folder("w", "Work"),
        folder("r", "reports", "w"),
        folder("q", "Q1", "r"),
        folder("a", "Archive"),
        folder("n", "Notes", "w"),
        folder("o", "Orphan", "gone"),  # its parent is not listed: shown at the top level
    ]
)


def test_depth_first_order_is_by_name_with_parents_before_children() -> None:
    assert [(f.name, depth) for f, depth in TREE.depth_first()] == [
        ("Archive", 0),
        ("Orphan", 0),
        ("Work", 0),
        ("Notes", 1),
        ("reports", 1),
        ("Q1", 2),
    ]


def test_paths_and_ancestors() -> None:
    assert TREE.path("q") == "Work / reports / Q1"
    assert TREE.path(None) == "" and TREE.path("unknown") == ""
    assert [f.id for f in TREE.ancestors("q")] == ["q", "r", "w"]


def test_a_folder_may_move_anywhere_but_into_itself_or_below() -> None:
    assert TREE.descendants("w") == {"r", "q", "n"}
    assert TREE.move_targets("w") == [None, "a", "o"]
    assert TREE.move_targets("r") == [None, "a", "o", "w", "n"]
    assert TREE.move_targets("q") == [None, "a", "o", "w", "n", "r"]


def test_a_cycle_in_the_data_does_not_hang_the_tree() -> None:
    looped = FolderTree.of([folder("x", "X", "y"), folder("y", "Y", "x")])
    assert [f.id for f in looped.ancestors("x")] == ["x", "y"]
    assert looped.depth_first() == []  # neither is at the top: nothing to draw, and no endless walk


def test_a_new_chat_in_a_folder_takes_its_defaults_and_keeps_the_rest() -> None:
    base = ChatSettings(temperature=0.3)
    both = new_chat_settings(folder("f", "F", prompt="Be brief.", model="gpt-4o"), base)
    assert (both.system_prompt, both.model, both.temperature) == ("Be brief.", "gpt-4o", 0.3)
    only_model = new_chat_settings(folder("f", "F", model="gpt-4o"))
    assert (only_model.system_prompt, only_model.model) == (DEFAULT_SYSTEM_PROMPT, "gpt-4o")
    assert new_chat_settings(None, base) == base
    assert new_chat_settings(folder("f", "F")) == ChatSettings()
