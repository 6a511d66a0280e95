"""Folders (projects) of conversations, as the domain sees them: the tree, the paths, the places a folder
may move to, and the settings a new chat in a folder begins with.

Pure functions of `FolderRecord`s (one `list_folders` query gives them all), so the sidebar draws the
whole tree from one query and tests need no database. The use cases (create, rename, move, delete,
file a conversation) are ChatService methods; storage enforces ownership, unique names and cycles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.records import FolderRecord

from .chat_settings import ChatSettings

PATH_SEPARATOR = " / "


@dataclass(frozen=True)
class FolderTree:
    """One owner's folders by id and by parent (children sorted by name, case-insensitively)."""

    by_id: dict[str, FolderRecord]
    children: dict[str | None, tuple[FolderRecord, ...]]

    @classmethod
    def of(cls, folders: Iterable[FolderRecord]) -> FolderTree:
        by_id = {folder.id: folder for folder in folders}
        grouped: dict[str | None, list[FolderRecord]] = defaultdict(list)
        for folder in by_id.values():
            parent = folder.parent_id if folder.parent_id in by_id else None  # an unknown parent: show it at the top
            grouped[parent].append(folder)
        children = {
            parent: tuple(sorted(items, key=lambda f: (f.name.casefold(), f.name, f.id))) for parent, items in grouped.items()
        }
        return cls(by_id, children)

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def top(self) -> tuple[FolderRecord, ...]:
        return self.children.get(None, ())

    def children_of(self, folder_id: str) -> tuple[FolderRecord, ...]:
        return self.children.get(folder_id, ())

    def ancestors(self, folder_id: str | None) -> list[FolderRecord]:
        """The folder and its ancestors, the folder first (empty for None or an unknown id)."""
        found: list[FolderRecord] = []
        seen: set[str] = set()
        while folder_id is not None and folder_id in self.by_id and folder_id not in seen:
            seen.add(folder_id)
            folder = self.by_id[folder_id]
            found.append(folder)
            folder_id = folder.parent_id
        return found

    def path(self, folder_id: str | None) -> str:
        """"Work / Reports / Q1" (plain text: escape it where Markdown renders it)."""
        return PATH_SEPARATOR.join(f.name for f in reversed(self.ancestors(folder_id)))

    def depth_first(self) -> list[tuple[FolderRecord, int]]:
        """Every folder with its depth (0 = top level), each parent before its children."""
        ordered: list[tuple[FolderRecord, int]] = []

        def visit(folders: Sequence[FolderRecord], depth: int) -> None:
            for folder in folders:
                ordered.append((folder, depth))
                visit(self.children_of(folder.id), depth + 1)

        visit(self.top(), 0)
        return ordered

    def descendants(self, folder_id: str) -> set[str]:
        """The ids of the folder's subfolders, their subfolders, and so on (not the folder itself)."""
        found: set[str] = set()
        stack = [folder_id]
        while stack:
            for child in self.children_of(stack.pop()):
                if child.id not in found:
                    found.add(child.id)
                    stack.append(child.id)
        return found

    def move_targets(self, folder_id: str) -> list[str | None]:
        """Where the folder may move: the top level (None) and every folder but itself and its
        subfolders (moving there would make a cycle), in tree order; its current place included."""
        excluded = self.descendants(folder_id) | {folder_id}
        return [None] + [folder.id for folder, _ in self.depth_first() if folder.id not in excluded]


def new_chat_settings(folder: FolderRecord | None, base: ChatSettings | None = None) -> ChatSettings:
    """The settings a new chat begins with: `base` (the defaults when None), with the folder's default
    system prompt and model where the folder sets them."""
    settings = base if base is not None else ChatSettings()
    if folder is None:
        return settings
    changes: dict[str, str] = {}
    if folder.system_prompt:
        changes["system_prompt"] = folder.system_prompt
    if folder.model:
        changes["model"] = folder.model
    return settings.with_changes(**changes) if changes else settings
