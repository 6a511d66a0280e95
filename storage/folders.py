"""Repository functions for folders (projects) of conversations: create, list, rename, move, delete,
their chat defaults, and which folder a conversation is in.

Why this module exists: folders are owned like conversations: every query is scoped to an owner, and
another owner's folder behaves exactly like a missing one (``FolderNotFound``). Functions take a
``Session`` first and never commit.

Folders nest (``parent_id``; None = top level). A name is unique among one owner's folders with the same
parent (a unique index, see migration 0006). Moving a folder into itself or one of its subfolders is
refused (``FolderCycle``). Deleting a folder keeps everything in it: its conversations and its
subfolders move up to the deleted folder's parent (to no folder, and the top level, when it had none);
a subfolder whose name is taken there gets " (2)", " (3)", ... appended.

Writes that change the tree lock the owner's folder rows first (``FOR UPDATE`` on PostgreSQL; SQLite
serialises writers with ``BEGIN IMMEDIATE``), so two moves cannot make a cycle between them and a
conversation is never filed into a folder being deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import func, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage._common import conversation_record, find_conversation, normalize_conversation_id
from storage.clock import as_utc, utcnow
from storage.errors import FolderCycle, FolderNameTaken, FolderNotFound
from storage.models import Conversation, Folder
from storage.records import FOLDER_MODEL_MAX_LENGTH, FOLDER_NAME_MAX_LENGTH, ConversationPage, ConversationRecord, FolderRecord

_UNSET: Any = object()
_NEWEST_FIRST = (Conversation.pinned.desc(), Conversation.updated_at.desc(), Conversation.id.desc())


def _without_controls(text: str, keep: str = "") -> str:
    """`text` without C0/C1 control characters and DEL (PostgreSQL refuses NUL in text), keeping `keep`."""
    return "".join(ch for ch in text if ch in keep or (ord(ch) >= 32 and not 127 <= ord(ch) <= 159))


def clean_folder_name(name: object) -> str:
    """A single-line, trimmed name of 1 to 200 characters, control characters removed; raises
    ValueError when blank or too long."""
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    text = " ".join(_without_controls(name, keep="\t\n\r").split())
    if not text:
        raise ValueError("Give the folder a name.")
    if len(text) > FOLDER_NAME_MAX_LENGTH:
        raise ValueError(f"A folder name has at most {FOLDER_NAME_MAX_LENGTH} characters.")
    return text


def _clean_prompt(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("system_prompt must be a string or None")
    value = _without_controls(value, keep="\t\n\r")
    return value if value.strip() else None


def _clean_model(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("model must be a string or None")
    text = _without_controls(value).strip()
    if len(text) > FOLDER_MODEL_MAX_LENGTH:
        raise ValueError(f"A model name has at most {FOLDER_MODEL_MAX_LENGTH} characters.")
    return text or None


def _record(row: Folder, conversation_count: int | None = None) -> FolderRecord:
    return FolderRecord(
        id=row.id,
        owner=row.owner,
        name=row.name,
        parent_id=row.parent_id,
        system_prompt=row.system_prompt,
        model=row.model,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        conversation_count=None if conversation_count is None else int(conversation_count),
    )


def _find(session: Session, folder_id: object, owner: str, *, lock: bool = False) -> Folder | None:
    key = normalize_conversation_id(folder_id)
    if key is None:
        return None
    statement = select(Folder).where(Folder.id == key, Folder.owner == owner)
    if lock:
        statement = statement.with_for_update()
    return session.scalar(statement)


def _require(session: Session, folder_id: object, owner: str, *, lock: bool = False) -> Folder:
    row = _find(session, folder_id, owner, lock=lock)
    if row is None:
        raise FolderNotFound(folder_id)
    return row


def _lock_tree(session: Session, owner: str) -> dict[str, str | None]:
    """Lock the owner's folder rows (PostgreSQL; SQLite writers are serialised) and return id -> parent_id."""
    rows = session.execute(select(Folder.id, Folder.parent_id).where(Folder.owner == owner).with_for_update())
    return {folder_id: parent_id for folder_id, parent_id in rows}


def _name_taken(session: Session, owner: str, parent_id: str | None, name: str, *, other_than: str | None = None) -> bool:
    statement = select(Folder.id).where(Folder.owner == owner, Folder.name == name)
    statement = statement.where(Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id)
    if other_than is not None:
        statement = statement.where(Folder.id != other_than)
    return session.scalar(statement.limit(1)) is not None


def _flush(session: Session, name: str) -> None:
    """Flush; a unique-name violation (a concurrent writer took the name) becomes FolderNameTaken."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise FolderNameTaken(name) from None


def create_folder(
    session: Session,
    *,
    owner: str = "",
    name: str,
    parent_id: str | None = None,
    system_prompt: str | None = None,
    model: str | None = None,
) -> FolderRecord:
    """Create a folder for ``owner`` (under ``parent_id``, or at the top level) and return it.

    Raises ``FolderNotFound`` for a parent that is unknown or not ``owner``'s, ``FolderNameTaken`` when
    the parent already holds a folder of that name."""
    name = clean_folder_name(name)
    parent = _require(session, parent_id, owner, lock=True) if parent_id is not None else None
    parent_key = parent.id if parent is not None else None
    if _name_taken(session, owner, parent_key, name):
        raise FolderNameTaken(name)
    now = utcnow()
    row = Folder(
        id=str(uuid.uuid4()),
        owner=owner,
        name=name,
        parent_id=parent_key,
        system_prompt=_clean_prompt(system_prompt),
        model=_clean_model(model),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _flush(session, name)
    return _record(row)


def list_folders(session: Session, *, owner: str = "", counts: bool = False) -> list[FolderRecord]:
    """All of ``owner``'s folders by name, in one query; with ``counts``, how many conversations each
    holds (that reads the index entries of every conversation in a folder: about 16 ms for 50,000 on
    PostgreSQL, so the sidebar does without)."""
    order = (func.lower(Folder.name), Folder.name, Folder.id)
    if not counts:
        return [_record(row) for row in session.scalars(select(Folder).where(Folder.owner == owner).order_by(*order))]
    counted = (
        select(Conversation.folder_id, func.count().label("n"))
        .where(Conversation.owner == owner, Conversation.folder_id.is_not(None))
        .group_by(Conversation.folder_id)
        .subquery()
    )
    rows = session.execute(
        select(Folder, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.folder_id == Folder.id)
        .where(Folder.owner == owner)
        .order_by(*order)
    )
    return [_record(row, count) for row, count in rows]


def get_folder(session: Session, folder_id: str, *, owner: str = "") -> FolderRecord | None:
    """The folder (with its conversation count), or None if unknown, malformed or not ``owner``'s."""
    row = _find(session, folder_id, owner)
    if row is None:
        return None
    count = session.scalar(select(func.count()).where(Conversation.owner == owner, Conversation.folder_id == row.id))
    return _record(row, count or 0)


def rename_folder(session: Session, folder_id: str, name: str, *, owner: str = "") -> FolderRecord:
    """Rename ``owner``'s folder; raises ``FolderNotFound`` or ``FolderNameTaken`` (a sibling has it)."""
    name = clean_folder_name(name)
    row = _require(session, folder_id, owner, lock=True)
    if row.name != name:
        if _name_taken(session, owner, row.parent_id, name, other_than=row.id):
            raise FolderNameTaken(name)
        row.name = name
        row.updated_at = utcnow()
        _flush(session, name)
    return _record(row)


def move_folder(session: Session, folder_id: str, parent_id: str | None, *, owner: str = "") -> FolderRecord:
    """Move ``owner``'s folder (with everything in it) under ``parent_id``, or to the top level (None).

    Raises ``FolderNotFound`` (the folder or the new parent), ``FolderCycle`` (the new parent is the
    folder itself or one of its subfolders) or ``FolderNameTaken`` (the new parent holds that name)."""
    tree = _lock_tree(session, owner)
    row = _require(session, folder_id, owner)
    target: str | None = None
    if parent_id is not None:
        target = normalize_conversation_id(parent_id)
        if target is None or target not in tree:
            raise FolderNotFound(parent_id)
        seen: set[str] = set()
        ancestor: str | None = target
        while ancestor is not None and ancestor not in seen:  # `seen` only guards against a corrupt tree
            if ancestor == row.id:
                raise FolderCycle(folder_id)
            seen.add(ancestor)
            ancestor = tree.get(ancestor)
    if target != row.parent_id:
        if _name_taken(session, owner, target, row.name, other_than=row.id):
            raise FolderNameTaken(row.name)
        row.parent_id = target
        row.updated_at = utcnow()
        _flush(session, row.name)
    return _record(row)


def set_folder_defaults(
    session: Session,
    folder_id: str,
    *,
    system_prompt: str | None = _UNSET,
    model: str | None = _UNSET,
    owner: str = "",
) -> FolderRecord:
    """Set what a new chat in the folder begins with: a system prompt and a model (None or blank = no
    default; an argument left out keeps its value). Raises ``FolderNotFound``."""
    row = _require(session, folder_id, owner)
    if system_prompt is not _UNSET:
        row.system_prompt = _clean_prompt(system_prompt)
    if model is not _UNSET:
        row.model = _clean_model(model)
    row.updated_at = utcnow()
    session.flush()
    return _record(row)


def _free_name(name: str, taken: Collection[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: FOLDER_NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
        number += 1


def delete_folder(session: Session, folder_id: str, *, owner: str = "") -> int:
    """Delete ``owner``'s folder, keeping what it holds: its conversations and subfolders move up to
    its parent (or out of any folder, to the top level). A subfolder whose name is taken there gets
    " (2)" (or the next free number) appended. Returns how many conversations moved; raises
    ``FolderNotFound``."""
    _lock_tree(session, owner)
    row = _require(session, folder_id, owner)
    parent = row.parent_id
    moved = session.execute(
        update(Conversation)
        .where(Conversation.owner == owner, Conversation.folder_id == row.id)
        .values(folder_id=parent)
        .execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]
    # Free the deleted folder's own name first: a subfolder of the same name may take it.
    row.name = row.id
    session.flush()
    siblings = select(Folder.name).where(Folder.owner == owner, Folder.id != row.id)
    siblings = siblings.where(Folder.parent_id.is_(None) if parent is None else Folder.parent_id == parent)
    taken = set(session.scalars(siblings))
    children = session.scalars(
        select(Folder).where(Folder.owner == owner, Folder.parent_id == row.id).order_by(Folder.created_at, Folder.id)
    ).all()
    now = utcnow()
    for child in children:
        child.name = _free_name(child.name, taken)
        taken.add(child.name)
        child.parent_id = parent
        child.updated_at = now
    session.flush()
    session.delete(row)
    session.flush()
    return int(moved or 0)


def set_conversation_folder(
    session: Session, conversation_id: str, folder_id: str | None, *, owner: str = ""
) -> ConversationRecord | None:
    """Put ``owner``'s conversation in a folder of theirs (None = in no folder); None if the conversation
    is not found. Raises ``FolderNotFound`` for a folder that is unknown or not ``owner``'s. The list
    order is kept (``updated_at`` does not change)."""
    folder = _require(session, folder_id, owner, lock=True) if folder_id is not None else None
    row = find_conversation(session, conversation_id, owner)
    if row is None:
        return None
    row.folder_id = folder.id if folder is not None else None
    session.flush()
    return conversation_record(row)


def owned_folder_id(session: Session, folder_id: str | None, owner: str) -> str | None:
    """The canonical id of ``owner``'s folder, locked against a concurrent delete (None for None);
    raises ``FolderNotFound``."""
    return None if folder_id is None else _require(session, folder_id, owner, lock=True).id


def list_folder_conversations(
    session: Session, folder_ids: Iterable[str], *, owner: str = "", limit: int = 15
) -> dict[str, ConversationPage]:
    """The first ``limit`` conversations of each folder (pinned first, then most recently updated), in
    one query; folders that are unknown, not ``owner``'s or empty get an empty page.

    The query is one ``UNION ALL`` of a ``LIMIT`` per folder, each an index range read (owner, folder,
    pinned, updated time), so it costs the rows shown, not the rows the folders hold."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    keys = sorted({key for key in (normalize_conversation_id(f) for f in folder_ids) if key is not None})
    pages: dict[str, list[ConversationRecord]] = {key: [] for key in keys}
    if keys:
        per_folder = [
            select(Conversation)
            .where(Conversation.owner == owner, Conversation.folder_id == key)
            .order_by(*_NEWEST_FIRST)
            .limit(limit + 1)
            .subquery()
            for key in keys
        ]
        chosen = aliased(Conversation, union_all(*(select(part) for part in per_folder)).subquery())
        rows = session.scalars(select(chosen).order_by(chosen.pinned.desc(), chosen.updated_at.desc(), chosen.id.desc()))
        for row in rows:
            if row.folder_id in pages:
                pages[row.folder_id].append(conversation_record(row))
    return {
        key: ConversationPage(items=tuple(items[:limit]), has_more=len(items) > limit, offset=0, limit=limit)
        for key, items in pages.items()
    }
