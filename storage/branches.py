"""Reading and choosing branches of a conversation's message tree.

Why this module exists: a conversation shows one branch (root to leaf); edits and regenerated replies
are siblings on other branches. These queries walk the tree by `parent_id` with recursive CTEs
(SQLite and PostgreSQL alike), bounded by `depth`, so the latest 40 messages of a 5,000-message
branch cost 40 index lookups, not 5,000. Functions take a ``Session`` first, never commit, and are
scoped to an owner like the rest of the repository.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from storage._common import is_int, message_record, owned_conversation_id
from storage.errors import MessageNotFound
from storage.models import Conversation, Message
from storage.records import MessageRecord, Siblings

_LEAF = text(
    """SELECT COALESCE(c.leaf_id, (SELECT max(m.id) FROM messages m WHERE m.conversation_id = c.id))
    FROM conversations c WHERE c.id = :cid"""
)
# From `start` up towards the root, while above `stop_depth`: the ids of one stretch of a branch.
_WALK_UP = text(
    """WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, depth FROM messages WHERE id = :start AND conversation_id = :cid
        UNION ALL
        SELECT m.id, m.parent_id, m.depth FROM messages m JOIN up ON m.id = up.parent_id WHERE up.depth > :stop_depth
    ) SELECT id FROM up"""
)
# Everything below `start` (itself included), to find the newest message on its branches.
_NEWEST_BELOW = text(
    """WITH RECURSIVE down(id) AS (
        SELECT id FROM messages WHERE id = :start AND conversation_id = :cid
        UNION ALL
        SELECT m.id FROM messages m JOIN down ON m.parent_id = down.id WHERE m.conversation_id = :cid
    ) SELECT max(id) FROM down"""
)
_SET_LEAF = update(Conversation).where(Conversation.id == bindparam("cid")).values(leaf_id=bindparam("leaf"))


def leaf_id(session: Session, conversation_id: str, *, owner: str = "") -> int | None:
    """The last message of the branch the conversation shows (None when it has no messages)."""
    cid = owned_conversation_id(session, conversation_id, owner)
    return None if cid is None else session.scalar(_LEAF, {"cid": cid})


def branch_messages(
    session: Session,
    conversation_id: str,
    *,
    owner: str = "",
    limit: int | None = None,
    above: int | None = None,
    end: int | None = None,
) -> tuple[list[MessageRecord], int]:
    """The shown branch's messages, oldest first: its latest `limit` (all without a limit), or the
    `limit` before message `above` (for "show earlier"); and how many messages the branch has.
    `end` reads the branch ending at that message instead of the shown one (compare mode: several
    replies are written at once below one user message, each reading its own branch)."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None:
        return [], 0
    if end is not None:
        if not is_int(end):
            return [], 0
        leaf = session.scalar(select(Message.id).where(Message.id == end, Message.conversation_id == cid))
    else:
        leaf = session.scalar(_LEAF, {"cid": cid})
    if leaf is None:
        return [], 0
    length = int(session.scalar(select(Message.depth).where(Message.id == leaf)) or 0) + 1
    if above is not None:
        start = session.scalar(select(Message.parent_id).where(Message.id == above, Message.conversation_id == cid))
        if start is None:
            return [], length
    else:
        start = leaf
    start_depth = session.scalar(select(Message.depth).where(Message.id == start))
    if start_depth is None:
        return [], length
    stop_depth = 0 if limit is None else max(0, start_depth - limit + 1)
    ids = session.scalars(_WALK_UP, {"start": start, "cid": cid, "stop_depth": stop_depth}).all()
    rows = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.depth)).all()
    return [message_record(row) for row in rows], length


def siblings(
    session: Session, conversation_id: str, messages: Sequence[MessageRecord], *, owner: str = ""
) -> dict[int, Siblings]:
    """For each of `messages` that has alternatives of the same role at its place (other edits of a
    user message, other replies to it), the alternatives and its position among them."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not messages:
        return {}
    parents = {m.parent_id for m in messages if m.parent_id is not None}
    query = select(Message.id, Message.parent_id, Message.role).where(Message.conversation_id == cid)
    has_root = any(m.parent_id is None for m in messages)
    if has_root:
        query = query.where(Message.parent_id.in_(parents) | Message.parent_id.is_(None))
    else:
        query = query.where(Message.parent_id.in_(parents))
    groups: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    for message_id, parent_id, role in session.execute(query.order_by(Message.id)):
        groups[(parent_id, role)].append(message_id)
    found = {}
    for message in messages:
        group = groups.get((message.parent_id, message.role), [])
        if len(group) > 1 and message.id in group:
            found[message.id] = Siblings(ids=tuple(group), index=group.index(message.id))
    return found


def replies_to(session: Session, conversation_id: str, message_id: int, *, owner: str = "") -> list[list[MessageRecord]]:
    """The assistant replies to message `message_id`, oldest first, each with what follows it on its
    newest branch (its tool rounds and later turns): compare mode's columns, read back from storage."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not is_int(message_id):
        return []
    reply_ids = session.scalars(
        select(Message.id)
        .where(Message.conversation_id == cid, Message.parent_id == message_id, Message.role == "assistant")
        .order_by(Message.id)
    ).all()
    found = []
    for reply_id in reply_ids:
        newest = session.scalar(_NEWEST_BELOW, {"start": reply_id, "cid": cid})
        depth = session.scalar(select(Message.depth).where(Message.id == reply_id))
        ids = session.scalars(_WALK_UP, {"start": newest, "cid": cid, "stop_depth": depth}).all()
        rows = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.depth)).all()
        found.append([message_record(row) for row in rows])
    return found


def show_branch(session: Session, conversation_id: str, message_id: int, *, owner: str = "") -> int:
    """Show the branch through `message_id` (ending at its newest message below it); return that end."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not is_int(message_id):
        raise MessageNotFound(message_id)
    newest = session.scalar(_NEWEST_BELOW, {"start": message_id, "cid": cid})
    if newest is None:
        raise MessageNotFound(message_id)
    session.execute(_SET_LEAF, {"cid": cid, "leaf": newest})
    return int(newest)


def reveal_message(session: Session, conversation_id: str, message_id: int, *, owner: str = "") -> int | None:
    """Make the shown branch one that holds `message_id` (switching to the branch through it when it
    is on another) and return its place counted from the branch's end (1 = the last message), so a
    page can load that many to show it. None if it is not a message of `owner`'s conversation."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not is_int(message_id):
        return None
    depth = session.scalar(select(Message.depth).where(Message.id == message_id, Message.conversation_id == cid))
    if depth is None:
        return None
    leaf = session.scalar(_LEAF, {"cid": cid})
    leaf_depth = session.scalar(select(Message.depth).where(Message.id == leaf)) if leaf is not None else None
    on_branch = (
        leaf_depth is not None
        and leaf_depth >= depth
        and message_id in session.scalars(_WALK_UP, {"start": leaf, "cid": cid, "stop_depth": depth}).all()
    )
    if not on_branch:
        leaf = show_branch(session, cid, message_id, owner=owner)
        leaf_depth = session.scalar(select(Message.depth).where(Message.id == leaf))
    return int(leaf_depth or 0) - int(depth) + 1


def end_branch_at(session: Session, conversation_id: str, message_id: int, *, owner: str = "") -> None:
    """Show the branch ending at `message_id` (what follows it hidden): the next message appended goes
    after it, as a new branch (regenerate a reply, answer an edited message)."""
    cid = owned_conversation_id(session, conversation_id, owner)
    if cid is None or not is_int(message_id):
        raise MessageNotFound(message_id)
    if session.scalar(select(Message.id).where(Message.id == message_id, Message.conversation_id == cid)) is None:
        raise MessageNotFound(message_id)
    session.execute(_SET_LEAF, {"cid": cid, "leaf": message_id})
