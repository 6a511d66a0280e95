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
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy import delete as sql_delete
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
from storage.records import MessageRecord

_conversations, _messages = Conversation.__table__, Message.__table__
_BUMP_CONVERSATION = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("b_id"), _conversations.c.owner == bindparam("b_owner"))
    .values(message_count=_conversations.c.message_count + 1, updated_at=bindparam("b_now"))
)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_MESSAGE_COLUMNS = ("role", "content", "status", "parts", "model", "params", "created_at", "updated_at")
_bumped = _BUMP_CONVERSATION.returning(_conversations.c.id).cte("bumped")
_APPEND_POSTGRES = (
    insert(_messages)
    .from_select(
        ["conversation_id", *_MESSAGE_COLUMNS],
        select(_bumped.c.id, *(bindparam(f"m_{name}", type_=_messages.c[name].type) for name in _MESSAGE_COLUMNS)),
    )
    .returning(_messages.c.id)
)


def add_message(
    session: Session,
    conversation_id: str,
    *,
    role: str,
    content: str = "",
    status: str = "complete",
    parts: Any = None,
    model: str | None = None,
    params: dict[str, Any] | None = None,
    owner: str = "",
) -> MessageRecord:
    """Append a message, bumping the conversation's ``updated_at`` and count.

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
    now = utcnow()
    # Update the parent row first: its row lock orders concurrent appenders, and message_count + 1
    # is computed by the database, so no increment is lost. This is the hot path of every sent
    # message (benchmark 4): Core statements built once instead of the ORM's bulk persistence and
    # per-call statement building, and on PostgreSQL both in one data-modifying CTE (one round trip
    # fewer). A Conversation already loaded in this session is expired, so it shows no stale count.
    values = fields  # all five fields, validated
    if session.get_bind().dialect.name == "postgresql":
        row = {f"m_{name}": value for name, value in values.items()}
        row.update(m_role=role, m_created_at=now, m_updated_at=now, b_id=cid, b_owner=owner, b_now=now)
        message_id = session.execute(_APPEND_POSTGRES, row).scalar_one_or_none()
        if message_id is None:
            raise ConversationNotFound(conversation_id)
    else:
        result = session.execute(_BUMP_CONVERSATION, {"b_id": cid, "b_owner": owner, "b_now": now})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConversationNotFound(conversation_id)
        message_id = session.execute(
            _INSERT_MESSAGE, {"conversation_id": cid, "role": role, "created_at": now, "updated_at": now, **values}
        ).scalar_one()
    loaded = session.identity_map.get(identity_key(Conversation, cid))
    if loaded is not None:
        session.expire(loaded, ["message_count", "updated_at"])
    return MessageRecord(
        id=message_id,
        conversation_id=cid,
        role=role,
        content=values["content"],
        parts=copy.deepcopy(values["parts"]),
        status=values["status"],
        model=values["model"],
        params=copy.deepcopy(values["params"]),
        prompt_tokens=None,
        completion_tokens=None,
        time_to_first_token_ms=None,
        total_time_ms=None,
        finish_reason=None,
        error=None,
        created_at=as_utc(now),
        updated_at=as_utc(now),
    )


def update_message(session: Session, message_id: int, *, owner: str = "", **fields: Any) -> MessageRecord:
    """Change some fields of a message (e.g. while streaming a reply).

    Allowed fields: content, parts, status, model, params, prompt_tokens,
    completion_tokens, time_to_first_token_ms, total_time_ms, finish_reason,
    error.  Unknown names or bad values raise ``ValueError``; an unknown or
    foreign message raises ``MessageNotFound``.
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


def delete_messages_from(session: Session, conversation_id: str, message_id: int, *, owner: str = "") -> int:
    """Delete ``message_id`` and every later message; return how many went.

    Used by regenerate and edit-and-resend.  Nothing is deleted (0) if the
    message is not part of that conversation.
    """
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not is_int(message_id):
        return 0
    anchor = session.scalar(select(Message.id).where(Message.id == message_id, Message.conversation_id == cid))
    if anchor is None:
        return 0
    # Lock the conversation row first (as add_message does) so no append can
    # slip in between the delete and the recount.
    _bump_conversation(session, cid)
    result = session.execute(
        sql_delete(Message)
        .where(Message.conversation_id == cid, Message.id >= anchor)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(Conversation)
        .where(Conversation.id == cid)
        .values(message_count=_count(session, cid))
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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
    conditions = [Message.conversation_id == cid, Message.status == "streaming"]
    if stale_after_seconds > 0:
        conditions.append(Message.updated_at < utcnow() - timedelta(seconds=stale_after_seconds))
    result = session.execute(
        update(Message)
        .where(*conditions)
        .values(status="incomplete", updated_at=utcnow())
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


def _bump_conversation(session: Session, cid: str) -> None:
    session.execute(
        update(Conversation)
        .where(Conversation.id == cid)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
