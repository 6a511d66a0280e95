"""Writes the database could not take yet, and how an unreachable database is recognised.

Why this module exists: when the database cannot be reached (PostgreSQL stopped or restarting, a
SQLite file locked by another writer for longer than the busy timeout), the chat must neither crash
nor lose what the user typed or received, and the write order still holds: a message goes to the
model only after it is stored. So a sent message waits in the browser session's outbox (shown as
"pending: not saved yet"), and the next page run that reaches the database writes it, then asks for
the reply. A reply that finished streaming while the database was down waits here too, and is
written the same way. The outbox works on any mutable mapping: `st.session_state` in the app, a dict
in tests. No Streamlit import here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

if TYPE_CHECKING:
    from .chat_service import ChatService
    from .chat_settings import ChatSettings

OUTBOX_KEY = "portal_outbox"
DETAIL_CHARS = 300


class DatabaseUnavailable(Exception):
    """The database cannot be reached or stays locked; the same write can be tried again later."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def is_database_outage(error: BaseException) -> bool:
    """True for failures that go away when the database comes back: connection refused or lost,
    server shutting down, pool exhausted, SQLite "database is locked" after the busy timeout.
    Constraint violations and programming errors are bugs, not outages, and stay as they are."""
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated) or isinstance(error, (OperationalError, InterfaceError))
    return False


def _detail(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return (lines[0] if lines else type(original).__name__)[:DETAIL_CHARS]


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database outage raised inside the block into DatabaseUnavailable."""
    try:
        yield
    except (DBAPIError, PoolTimeoutError) as exc:
        if is_database_outage(exc):
            raise DatabaseUnavailable(_detail(exc)) from exc
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class PendingMessage:
    """A user message that is not stored yet (and so not sent to the model yet)."""

    conversation_id: str | None  # None: a new conversation is created when it is stored
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    queued_at: str = field(default_factory=_now)


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

    def queue_message(self, conversation_id: str | None, text: str, attachments: list[dict[str, Any]] | None = None) -> None:
        self._state["messages"].append(PendingMessage(conversation_id, text, list(attachments or [])))

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

    def flush(self, service: ChatService, settings: ChatSettings) -> str | None:
        """Write everything waiting, oldest first; return the conversation of the last stored message.

        Finished replies go first (before anything marks their rows as interrupted). Each stored
        message leaves the outbox at once and makes its conversation's reply due. Raises
        DatabaseUnavailable when the database is still away; what was not written stays queued.
        """
        replies: list[PendingReply] = self._state["replies"]
        while replies:
            service.save_reply(replies[0])
            replies.pop(0)
        messages: list[PendingMessage] = self._state["messages"]
        stored_in = None
        while messages:
            pending = messages[0]
            record = service.add_user_message(pending.conversation_id, pending.text, settings, pending.attachments or None)
            messages.pop(0)
            if record.conversation_id != pending.conversation_id:  # a new conversation: later messages follow it
                for later in messages:
                    if later.conversation_id == pending.conversation_id:
                        later.conversation_id = record.conversation_id
            stored_in = record.conversation_id
            self.want_reply(stored_in)
        return stored_in
