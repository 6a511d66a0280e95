"""Writes the database could not take yet: one browser session's queue of unsaved messages and replies.

Why this module exists: when the database cannot be reached (PostgreSQL stopped or restarting, a
SQLite file locked by another writer for longer than the busy timeout), the chat must neither crash
nor lose what the user typed or received, and the write order still holds: a message goes to the
model only after it is stored. So a sent message waits in the browser session's outbox (shown as
"pending: not saved yet"), and the next page run that reaches the database writes it, then asks for
the reply. A reply that finished streaming while the database was down waits here too, and is
written the same way. Writing the queue is a chat use case (`ChatService.flush_outbox`); an outage is
recognised by storage (storage/database.py, `DatabaseUnavailable`). The outbox works on any mutable
mapping: `st.session_state` in the app, a dict in tests. No Streamlit import here.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OUTBOX_KEY = "portal_outbox"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class PendingMessage:
    """A user message that is not stored yet (and so not sent to the model yet)."""

    conversation_id: str | None  # None: a new conversation is created when it is stored
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    queued_at: str = field(default_factory=_now)
    folder_id: str | None = None  # a new conversation is created in this folder (a "new chat in this folder")


@dataclass
class PendingReply:
    """A reply whose final state (text, status, metrics) could not be written when it finished."""

    conversation_id: str
    message_id: int
    fields: dict[str, Any]
    queued_at: str = field(default_factory=_now)


class Outbox:
    """One browser session's unsaved writes, in order, plus the conversation whose reply is due."""

    def __init__(self, store: MutableMapping[Any, Any], key: str = OUTBOX_KEY):  # st.session_state: str | int keys
        if key not in store:
            store[key] = {"messages": [], "replies": [], "reply_due": None}
        self._state: dict[str, Any] = store[key]

    @property
    def messages(self) -> tuple[PendingMessage, ...]:
        return tuple(self._state["messages"])

    @property
    def replies(self) -> tuple[PendingReply, ...]:
        return tuple(self._state["replies"])

    def __bool__(self) -> bool:
        return bool(self._state["messages"] or self._state["replies"])

    def queue_message(
        self,
        conversation_id: str | None,
        text: str,
        attachments: list[dict[str, Any]] | None = None,
        folder_id: str | None = None,
    ) -> None:
        self._state["messages"].append(
            PendingMessage(conversation_id, text, list(attachments or []), folder_id=folder_id if conversation_id is None else None)
        )

    def queue_reply(self, reply: PendingReply) -> None:
        self._state["replies"].append(reply)

    def want_reply(self, conversation_id: str) -> None:
        self._state["reply_due"] = conversation_id

    def reply_due(self, conversation_id: str | None) -> bool:
        """Whether a stored message of this conversation waits for its reply (without taking it)."""
        return conversation_id is not None and self._state["reply_due"] == conversation_id

    def take_reply_due(self, conversation_id: str | None) -> bool:
        """True (once) when a stored message of this conversation still waits for its reply."""
        if conversation_id is None or self._state["reply_due"] != conversation_id:
            return False
        self._state["reply_due"] = None
        return True

    def next_reply(self) -> PendingReply | None:
        """The oldest reply waiting to be written (it stays queued until `reply_written`)."""
        replies = self._state["replies"]
        return replies[0] if replies else None

    def reply_written(self) -> None:
        """The oldest waiting reply is written: it leaves the outbox."""
        self._state["replies"].pop(0)

    def next_message(self) -> PendingMessage | None:
        """The oldest message waiting to be stored (it stays queued until `message_stored`)."""
        messages = self._state["messages"]
        return messages[0] if messages else None

    def message_stored(self, conversation_id: str) -> None:
        """The oldest waiting message is stored in `conversation_id`: it leaves the outbox and its
        conversation's reply becomes due. When that conversation is new, the later messages that were
        waiting for it follow it there."""
        pending: PendingMessage = self._state["messages"].pop(0)
        if conversation_id != pending.conversation_id:
            for later in self._state["messages"]:
                if later.conversation_id == pending.conversation_id:
                    later.conversation_id = conversation_id
        self.want_reply(conversation_id)
