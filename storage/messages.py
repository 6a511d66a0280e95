"""Repository functions for the messages of a conversation.

Why this module exists: appending, streaming updates, tail pagination and
truncation (regenerate / edit-and-resend) all have to keep
``conversations.message_count`` and ``updated_at`` correct under concurrent
writers and must never touch another owner's data.  Functions take a
``Session`` first and never commit.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from storage._common import (
    clean_message_fields,
    clean_role,
    is_int,
    message_record,
    normalize_conversation_id,
    owned_conversation_id,
)
from storage.clock import as_utc, utcnow
from storage.errors import ConversationNotFound, MessageNotFound
from storage.models import Conversation, Message
from storage.records import MESSAGE_TIMESTAMPS, MESSAGE_VALUES, MessageRecord, MessageStatus

# Declared tables (the ORM types `__table__` as any FromClause; insert() and update() need a Table)
_conversations, _messages = cast(Table, Conversation.__table__), cast(Table, Message.__table__)
_MESSAGE_COLUMNS = (*MESSAGE_VALUES, *MESSAGE_TIMESTAMPS)  # what the PostgreSQL append inserts (the place: computed)
_message_values = ", ".join(f":m_{name}" for name in _MESSAGE_COLUMNS)

CURRENT_LEAF: Any = object()  # add_message's default parent: the end of the branch the conversation shows

# Where a new message goes: after `:parent` when given (`:auto` false; NULL starts a branch at the
# root), else after the shown branch's end (the conversation's leaf_id, or its newest message).
# An explicit parent must be a message of this conversation (else NULL, refused by add_message).
_PARENT = """CASE WHEN :auto THEN COALESCE(c.leaf_id, (SELECT max(m.id) FROM messages m WHERE m.conversation_id = c.id))
                 ELSE (SELECT m.id FROM messages m WHERE m.id = :parent AND m.conversation_id = c.id) END"""
# PostgreSQL, two round trips (the hot path of every sent message, benchmark 4). First lock the
# conversation (_LOCK_POSTGRES): a statement waiting for that lock would otherwise still read the
# messages as they were when it started, miss the message another instance just added and fork the
# conversation there. Then, in one statement, read the parent, bump the count (the database computes
# message_count + 1, so no increment is lost), reset the leaf (the new message is the newest) and
# insert the message after its parent.
_LOCK_POSTGRES = text("SELECT 1 FROM conversations WHERE id = :b_id AND owner = :b_owner FOR UPDATE")
_APPEND_POSTGRES = text(
    f"""WITH cur AS (
        SELECT c.id, {_PARENT} AS parent FROM conversations c WHERE c.id = :b_id AND c.owner = :b_owner FOR UPDATE
    ), bumped AS (
        UPDATE conversations c SET message_count = c.message_count + 1, updated_at = :b_now, leaf_id = NULL
        FROM cur WHERE c.id = cur.id RETURNING c.id, cur.parent
    )
    INSERT INTO messages (conversation_id, parent_id, depth, {", ".join(_MESSAGE_COLUMNS)})
    SELECT b.id, b.parent, COALESCE((SELECT p.depth + 1 FROM messages p WHERE p.id = b.parent), 0), {_message_values}
    FROM bumped b
    RETURNING id, parent_id, depth"""
).bindparams(
    *(bindparam(f"m_{name}", type_=_messages.c[name].type) for name in _MESSAGE_COLUMNS),
    bindparam("b_now", type_=_conversations.c.updated_at.type),
)
# SQLite (one writer at a time): find the parent, bump the conversation, insert.
_PARENT_SQLITE = text(
    f"""SELECT found.parent, (SELECT p.depth FROM messages p WHERE p.id = found.parent)
    FROM (SELECT {_PARENT} AS parent FROM conversations c WHERE c.id = :b_id AND c.owner = :b_owner) AS found"""
)
_BUMP_CONVERSATION = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("b_id"), _conversations.c.owner == bindparam("b_owner"))
    .values(message_count=_conversations.c.message_count + 1, updated_at=bindparam("b_now"), leaf_id=None)
)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)


def add_message(
    session: Session,
    conversation_id: str,
    *,
    role: str,
    content: str = "",
    status: str = MessageStatus.COMPLETE,
    parts: Any = None,
    model: str | None = None,
    params: dict[str, Any] | None = None,
    owner: str = "",
    parent_id: Any = CURRENT_LEAF,
) -> MessageRecord:
    """Append a message after `parent_id` (by default the end of the branch the conversation shows;
    None starts a branch at the root), bumping the conversation's ``updated_at`` and count. The new
    message becomes the end of the shown branch.

    Raises ``ConversationNotFound`` for an unknown or foreign conversation and
    ``ValueError`` for an invalid role or field value.
    """
    role = clean_role(role)
    fields = clean_message_fields(
        {
            "content": content,
            "status": status,
            "parts": parts,
            "model": model,
            "params": params,
        }
    )
    cid = normalize_conversation_id(conversation_id)
    if cid is None:
        raise ConversationNotFound(conversation_id)
    auto = parent_id is CURRENT_LEAF
    if not auto and parent_id is not None and not is_int(parent_id):
        raise ValueError("parent_id must be a message id or None")
    chosen = {"auto": auto, "parent": None if auto else parent_id}
    now = utcnow()
    # A Conversation already loaded in this session is expired below, so it shows no stale count.
    values = fields  # all five fields, validated
    if session.get_bind().dialect.name == "postgresql":
        given = {**values, "role": role, "created_at": now, "updated_at": now}
        row = {f"m_{name}": given.get(name) for name in _MESSAGE_COLUMNS}  # the metrics: NULL until the reply ends
        row.update(b_id=cid, b_owner=owner, b_now=now, **chosen)
        session.execute(_LOCK_POSTGRES, {"b_id": cid, "b_owner": owner})
        appended = session.execute(_APPEND_POSTGRES, row).one_or_none()
        if appended is None:
            raise ConversationNotFound(conversation_id)
        message_id, parent, depth = appended
    else:
        found = session.execute(_PARENT_SQLITE, {"b_id": cid, "b_owner": owner, **chosen}).one_or_none()
        if found is None:
            raise ConversationNotFound(conversation_id)
        parent, parent_depth = found
        if not auto and parent_id is not None and parent is None:
            raise ValueError(f"parent message {parent_id} is not in this conversation")
        depth = 0 if parent is None or parent_depth is None else parent_depth + 1
        session.execute(_BUMP_CONVERSATION, {"b_id": cid, "b_owner": owner, "b_now": now})
        message_id = session.execute(
            _INSERT_MESSAGE,
            {
                "conversation_id": cid,
                "role": role,
                "created_at": now,
                "updated_at": now,
                "parent_id": parent,
                "depth": depth,
                **values,
            },
        ).scalar_one()
    if not auto and parent_id is not None and parent is None:  # PostgreSQL inserted already: the caller's rollback undoes it
        raise ValueError(f"parent message {parent_id} is not in this conversation")
    loaded = session.identity_map.get(identity_key(Conversation, cid))
    if loaded is not None:
        session.expire(loaded, ["message_count", "updated_at", "leaf_id"])
    return MessageRecord(
        id=message_id,
        conversation_id=cid,
        role=role,
        **{**values, "parts": copy.deepcopy(values["parts"]), "params": copy.deepcopy(values["params"])},
        created_at=as_utc(now),
        updated_at=as_utc(now),
        parent_id=parent,
        depth=depth,
    )


def update_message(session: Session, message_id: int, *, owner: str = "", **fields: Any) -> MessageRecord:
    """Change some fields of a message (e.g. while streaming a reply).

    Allowed fields: ``UPDATABLE_MESSAGE_FIELDS`` (everything a message says but
    its role: content, parts, status, model, params and the metrics).  Unknown
    names or bad values raise ``ValueError``; an unknown or foreign message
    raises ``MessageNotFound``.
    """
    values = clean_message_fields(fields)
    row = _find_message(session, message_id, owner)
    if row is None:
        raise MessageNotFound(message_id)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return message_record(row)


def get_message(session: Session, message_id: int, *, owner: str = "") -> MessageRecord | None:
    """One message, or ``None`` if unknown or in another owner's conversation."""
    row = _find_message(session, message_id, owner)
    return message_record(row) if row is not None else None


def list_messages(
    session: Session,
    conversation_id: str,
    *,
    owner: str = "",
    limit: int | None = None,
    before_id: int | None = None,
) -> list[MessageRecord]:
    """Messages in chronological order; ``[]`` for an unknown conversation.

    With ``limit`` only the latest ``limit`` messages (older than ``before_id``
    if given) are returned, so a page can render the tail of a long
    conversation and load earlier messages on demand.
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None:
        return []
    query = select(Message).where(Message.conversation_id == cid)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    if limit is None:
        rows = list(session.scalars(query.order_by(Message.id)))
    else:
        # Walk the (conversation_id, id) index backwards, then restore order.
        rows = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))
        rows.reverse()
    return [message_record(row) for row in rows]


def count_messages(session: Session, conversation_id: str, *, owner: str = "") -> int:
    """Number of messages in the conversation (0 if unknown or foreign)."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None:
        return 0
    return _count(session, cid)


def mark_streaming_as_interrupted(
    session: Session, conversation_id: str, *, owner: str = "", stale_after_seconds: float = 0.0
) -> int:
    """Turn messages left in ``streaming`` (the app died mid-reply) into
    ``incomplete``; return how many were changed.

    ``stale_after_seconds`` spares replies updated more recently than that: a
    reply still streaming in another tab or instance is flushed every second or
    so, and must not be marked as interrupted."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None:
        return 0
    conditions = [Message.conversation_id == cid, Message.status == MessageStatus.STREAMING]
    if stale_after_seconds > 0:
        conditions.append(Message.updated_at < utcnow() - timedelta(seconds=stale_after_seconds))
    result = session.execute(
        update(Message)
        .where(*conditions)
        .values(status=MessageStatus.INCOMPLETE, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _find_message(session: Session, message_id: object, owner: str) -> Message | None:
    if not is_int(message_id):
        return None
    return session.scalar(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id == message_id, Conversation.owner == owner)
    )


def _count(session: Session, cid: str) -> int:
    total = session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == cid))
    return int(total or 0)
