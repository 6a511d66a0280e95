"""Repository functions for conversations (create, list, search, rename...).

Why this module exists: it holds every query on the ``conversations`` table,
each scoped to an owner, so the sidebar never shows another user's chats.
Functions take a ``Session`` first and never commit: the caller wraps a unit of
work in ``with Session.begin() as session:``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage._common import (
    clean_settings,
    clean_title,
    conversation_record,
    find_conversation,
    normalize_conversation_id,
)
from storage.clock import utcnow
from storage.folders import owned_folder_id
from storage.models import Conversation
from storage.records import DEFAULT_TITLE, ConversationPage, ConversationRecord
from storage.search import search_conversations


def create_conversation(
    session: Session,
    *,
    owner: str = "",
    title: str = DEFAULT_TITLE,
    settings: Mapping[str, Any] | None = None,
    folder_id: str | None = None,
) -> ConversationRecord:
    """Create an empty conversation for ``owner`` (in ``owner``'s folder ``folder_id``, if given) and
    return it. Raises ``FolderNotFound`` for a folder that is unknown or not ``owner``'s."""
    folder = owned_folder_id(session, folder_id, owner)
    now = utcnow()
    row = Conversation(
        id=str(uuid.uuid4()),
        owner=owner,
        title=clean_title(title),
        settings=clean_settings(settings),
        created_at=now,
        updated_at=now,
        message_count=0,
        folder_id=folder,
    )
    session.add(row)
    session.flush()
    return conversation_record(row)


def get_conversation(session: Session, conversation_id: str, *, owner: str = "") -> ConversationRecord | None:
    """The conversation, or ``None`` if unknown, malformed or not ``owner``'s."""
    row = find_conversation(session, conversation_id, owner)
    return conversation_record(row) if row is not None else None


def list_conversations(
    session: Session,
    *,
    owner: str = "",
    limit: int = 20,
    offset: int = 0,
    search: str | None = None,
    unfiled: bool = False,
) -> ConversationPage:
    """One page of ``owner``'s conversations: pinned ones first, then most recently updated first.

    ``search`` matches the title or the text of any message, case-insensitively
    and literally (``%`` and ``_`` are not wildcards); see :mod:`storage.search`
    for how that stays fast on a large history. A search covers every conversation, in a folder or
    not. ``unfiled`` lists only the conversations in no folder (the sidebar's date groups); it cannot
    be combined with a search.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if offset < 0:
        raise ValueError("offset must not be negative")
    needle = (search or "").strip()
    if needle and unfiled:
        raise ValueError("a search covers every conversation; it cannot be limited to those in no folder")
    if needle:
        rows = search_conversations(session, owner, needle, offset=offset, count=limit + 1)
    else:
        query = select(Conversation).where(Conversation.owner == owner)
        if unfiled:
            query = query.where(Conversation.folder_id.is_(None))
        order = (Conversation.pinned.desc(), Conversation.updated_at.desc(), Conversation.id.desc())
        query = query.order_by(*order).offset(offset).limit(limit + 1)
        rows = session.scalars(query).all()
    return ConversationPage(
        items=tuple(conversation_record(row) for row in rows[:limit]),
        has_more=len(rows) > limit,
        offset=offset,
        limit=limit,
    )


def rename_conversation(session: Session, conversation_id: str, title: str, *, owner: str = "") -> ConversationRecord | None:
    """Set the title (trimmed, max 200 chars); ``None`` if not found.

    Renaming does not change ``updated_at``, so the sidebar order is kept.
    """
    row = find_conversation(session, conversation_id, owner)
    if row is None:
        return None
    row.title = clean_title(title)
    session.flush()
    return conversation_record(row)


def set_pinned(session: Session, conversation_id: str, pinned: bool, *, owner: str = "") -> ConversationRecord | None:
    """Pin (first in the list) or unpin; ``None`` if not found. The order otherwise stays by update."""
    row = find_conversation(session, conversation_id, owner)
    if row is None:
        return None
    row.pinned = bool(pinned)
    session.flush()
    return conversation_record(row)


def update_conversation_settings(
    session: Session,
    conversation_id: str,
    settings: Mapping[str, Any] | None,
    *,
    owner: str = "",
) -> ConversationRecord | None:
    """Replace the per-conversation chat settings; ``None`` if not found."""
    row = find_conversation(session, conversation_id, owner)
    if row is None:
        return None
    row.settings = clean_settings(settings)
    session.flush()
    return conversation_record(row)


def delete_conversation(session: Session, conversation_id: str, *, owner: str = "") -> bool:
    """Delete the conversation and (by cascade) its messages; True if deleted."""
    cid = normalize_conversation_id(conversation_id)
    if cid is None:
        return False
    result = session.execute(
        delete(Conversation)
        .where(Conversation.id == cid, Conversation.owner == owner)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def touch(session: Session, conversation_id: str, *, owner: str = "") -> bool:
    """Mark the conversation as just used (moves it to the top of the list)."""
    cid = normalize_conversation_id(conversation_id)
    if cid is None:
        return False
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == cid, Conversation.owner == owner)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
