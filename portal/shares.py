"""Share links: a read-only view of a conversation for whoever holds the link, and "continue as a copy".

A share is `live` (the shown branch as it is when the link is opened) or a `snapshot` (the shown
branch as it was when the link was made, stored with the share). Either way the reader gets only
what the messages say, through one projection (`shared_message`): the text, the attachments, the
tool calls and their results, the thinking, the status and the token and time metrics. Never the
conversation's settings (model, system prompt, parameters, tools), the model or parameters a reply
was made with, a stored response id, nor the text of an error (a connection error can name the
endpoint): an error shows as `SHARED_ERROR`. The snapshot is stored already projected.

"Continue as a copy" imports that same projection as a new conversation of the reader's (one branch,
through the export format's version 1), with no settings copied: the copy starts on the reader's own
defaults. The link's token is 256 random bits; the database keeps only its SHA-256
(storage/shares.py), so the link is shown once, when it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import repository
from storage.clock import as_utc
from storage.database import SessionFactory, unit_of_work
from storage.records import ConversationRecord, MessageRecord, MessageStatus, NewShare, ShareRecord

LIVE, SNAPSHOT = "live", "snapshot"
MODES = (LIVE, SNAPSHOT)
SHARE_QUERY_PARAM = "share"
SHARED_ERROR = "The request failed; its details are not shared."
SHARED_CONVERSATION_ID = "shared"  # what the view's records carry instead of the owner's conversation id
# What a shared message keeps of its parts: attachments, tool calls and results, thinking.
SHARED_PARTS = ("attachments", "tool_calls", "tool_call_id", "name", "arguments", "ok", "duration_ms", "reasoning", "reasoning_tokens")
SHARED_METRICS = ("prompt_tokens", "completion_tokens", "time_to_first_token_ms", "total_time_ms", "finish_reason")


def shared_message(message: MessageRecord) -> dict[str, Any]:
    """What a reader may see of a message, as JSON (the snapshot stores this, the copy imports it)."""
    parts = message.parts if isinstance(message.parts, dict) else {}
    kept = {name: parts[name] for name in SHARED_PARTS if name in parts}
    shared: dict[str, Any] = {
        "role": message.role,
        "content": message.content,
        "parts": kept or None,
        "status": message.status,
        "error": SHARED_ERROR if message.error else None,
        **{name: getattr(message, name) for name in SHARED_METRICS},
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
    }
    return shared


def _record(shared: dict[str, Any], index: int) -> MessageRecord:
    """A shared message as a record the chat's message view can draw (ids are positions on the branch)."""
    created = as_utc(datetime.fromisoformat(str(shared["created_at"])))
    return MessageRecord(
        id=index + 1,
        conversation_id=SHARED_CONVERSATION_ID,
        role=str(shared["role"]),
        content=str(shared.get("content") or ""),
        parts=shared.get("parts"),
        status=str(shared.get("status") or MessageStatus.COMPLETE),
        error=shared.get("error"),
        **{name: shared.get(name) for name in SHARED_METRICS},
        created_at=created,
        updated_at=as_utc(datetime.fromisoformat(str(shared.get("updated_at") or shared["created_at"]))),
        parent_id=index or None,
        depth=index,
    )


@dataclass(frozen=True)
class SharedConversation:
    """What a share link shows: the title, the shown branch's messages (the latest `limit` of `total`
    when a limit was asked) and how it is shared."""

    title: str
    mode: str
    shared_at: datetime
    messages: tuple[MessageRecord, ...]
    total: int
    _shared: tuple[dict[str, Any], ...] = ()  # the projected messages shown, for the copy

    @property
    def live(self) -> bool:
        return self.mode == LIVE


class Shares:
    """Share links, for one user: theirs to make, list and revoke, and any link they hold to open or copy."""

    def __init__(self, sessions: SessionFactory, *, owner: str = ""):
        self._sessions = sessions
        self._owner = owner

    def create(self, conversation_id: str, mode: str) -> NewShare:
        """A link to one of the user's conversations; raises `ConversationNotFound` (storage.errors)
        for a conversation that is not theirs. A snapshot stores the shown branch as it is now."""
        if mode not in MODES:
            raise ValueError(f"mode must be {LIVE!r} or {SNAPSHOT!r}")
        with unit_of_work(self._sessions) as session:
            snapshot = None
            if mode == SNAPSHOT:
                conversation = repository.get_conversation(session, conversation_id, owner=self._owner)
                if conversation is None:
                    raise repository.ConversationNotFound(conversation_id)
                messages, _ = repository.branch_messages(session, conversation.id, owner=self._owner)
                snapshot = {"title": conversation.title, "messages": [shared_message(m) for m in messages]}
            return repository.create_share(session, conversation_id, owner=self._owner, mode=mode, snapshot=snapshot)

    def list(self) -> list[ShareRecord]:
        """The user's working links, newest first."""
        with unit_of_work(self._sessions) as session:
            return repository.list_shares(session, owner=self._owner)

    def revoke(self, share_id: str) -> bool:
        """Revoke one of the user's links (by `ShareRecord.id`); False when it is not theirs or already revoked."""
        with unit_of_work(self._sessions) as session:
            return repository.revoke_share(session, share_id, owner=self._owner)

    def open(self, token: str, *, limit: int | None = None) -> SharedConversation | None:
        """The conversation a link shows (None for an unknown or revoked link): a live link reads the
        owner's shown branch now, a snapshot what was stored. With `limit`, only the latest messages."""
        with unit_of_work(self._sessions) as session:
            found = repository.open_share(session, token)
            if found is None:
                return None
            share = found.record
            if share.mode == SNAPSHOT:
                stored = found.snapshot or {}
                title = str(stored.get("title") or share.title)
                projected = [m for m in stored.get("messages") or [] if isinstance(m, dict)]
                total = len(projected)
                projected = projected[max(0, total - limit) :] if limit is not None else projected
            else:  # the latest `limit` only, read as the chat reads them (bounded by depth)
                title = share.title
                messages, total = repository.branch_messages(session, share.conversation_id, owner=share.owner, limit=limit)
                projected = [shared_message(m) for m in messages]
        first = total - len(projected)  # the position of the first shown message on the branch
        records = tuple(_record(m, first + index) for index, m in enumerate(projected))
        return SharedConversation(title, share.mode, share.created_at, records, total, tuple(projected))

    def copy(self, token: str) -> ConversationRecord | None:
        """"Continue as a copy": the link's conversation as a new conversation of this user's, with the
        messages the link shows and no settings. None when the link is unknown or revoked."""
        shared = self.open(token)
        if shared is None:
            return None
        document = {
            "format": repository.EXPORT_FORMAT,
            "version": 1,  # one branch: each message follows the one before
            "conversation": {"title": shared.title, "settings": {}},
            "messages": list(shared._shared),
        }
        with unit_of_work(self._sessions) as session:
            return repository.import_conversation(session, document, owner=self._owner)
