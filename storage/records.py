"""Plain, immutable views of stored data handed to the rest of the app.

Why this module exists: ORM objects are bound to a session, can lazy-load after
the session closes and can be mutated by accident.  The UI only ever receives
these frozen dataclasses, which are safe to cache, pass between threads and
keep in ``st.session_state``.  This module imports nothing from SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

MESSAGE_ROLES: frozenset[str] = frozenset({"system", "developer", "user", "assistant", "tool"})
"""Roles a message may have (the Azure AI chat roles)."""


class MessageStatus(StrEnum):
    """Lifecycle of a message (stored as its string value); see MESSAGE_STATUSES."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    INCOMPLETE = "incomplete"


MESSAGE_STATUSES: frozenset[str] = frozenset(MessageStatus)
"""Lifecycle of a message: ``streaming`` while a reply is being written,
``complete`` when it finished normally, ``stopped`` when the user pressed stop,
``interrupted`` when the page was closed while it streamed, ``error`` when the
model call failed (or the connection dropped: with an error) and ``incomplete``
when the app died while it was still streaming (see
``mark_streaming_as_interrupted``)."""

DEFAULT_TITLE = "New chat"
TITLE_MAX_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One conversation as shown in the sidebar.

    ``settings`` is a private copy of the stored per-conversation chat
    parameters; mutating it does not change the database.
    """

    id: str
    owner: str
    title: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    message_count: int
    leaf_id: int | None = None  # the shown branch's last message; None = the newest message
    pinned: bool = False
    folder_id: str | None = None  # the folder it is in; None = no folder


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """One chat message plus the metrics recorded for model replies.

    Its fields are the message fields, defined once: the ``messages`` table has one column for each
    (a test checks), and the repository's reads and writes, the export and the import follow
    MESSAGE_FIELDS and the groups below."""

    id: int
    conversation_id: str
    role: str
    content: str
    parts: Any = None
    status: str
    model: str | None = None
    params: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    time_to_first_token_ms: float | None = None
    total_time_ms: float | None = None
    finish_reason: str | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    parent_id: int | None = None  # the message this one follows on its branch
    depth: int = 0  # its position on the branch (0 = first)


MESSAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MessageRecord))
"""Every field of a message, in the record's order."""
MESSAGE_PLACE: frozenset[str] = frozenset({"id", "conversation_id", "parent_id", "depth"})
"""Where a message is (its ids and its place in the tree): set by the repository, never taken from a
caller's fields or an imported file."""
MESSAGE_TIMESTAMPS: tuple[str, ...] = ("created_at", "updated_at")
MESSAGE_VALUES: tuple[str, ...] = tuple(
    name for name in MESSAGE_FIELDS if name not in MESSAGE_PLACE and name not in MESSAGE_TIMESTAMPS
)
"""What a message says: its role, text, parts, status, model, parameters and metrics. Exported and
imported as they are."""
UPDATABLE_MESSAGE_FIELDS: frozenset[str] = frozenset(MESSAGE_VALUES) - {"role"}
"""What ``update_message`` may change (everything a message says but its role)."""


@dataclass(frozen=True, slots=True)
class Siblings:
    """A message and the alternatives at its place (edits of a user message, regenerated replies)."""

    ids: tuple[int, ...]  # oldest first
    index: int  # this message's position among them

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """One page of the conversation list, newest first."""

    items: tuple[ConversationRecord, ...]
    has_more: bool
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the following page, or ``None`` on the last page."""
        return self.offset + len(self.items) if self.has_more else None


FOLDER_NAME_MAX_LENGTH = 200
FOLDER_MODEL_MAX_LENGTH = 200


@dataclass(frozen=True, slots=True)
class FolderRecord:
    """A folder of conversations as listed: where it sits, its chat defaults, how many conversations it holds.

    ``parent_id`` is None at the top level. ``system_prompt`` and ``model`` are what a new chat started in
    the folder begins with (None = no default). ``conversation_count`` counts its own conversations (not
    those of its subfolders); None when it was not counted (``list_folders`` counts only when asked)."""

    id: str
    owner: str
    name: str
    parent_id: str | None
    system_prompt: str | None
    model: str | None
    created_at: datetime
    updated_at: datetime
    conversation_count: int | None = None


COLLECTION_NAME_MAX_LENGTH = 200


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    """A saved embeddings collection as listed: everything but its texts and vectors.

    ``options`` is a private copy of what the explorer stored (embedding and map options)."""

    id: str
    owner: str
    name: str
    source: str
    model: str
    options: dict[str, Any]
    text_count: int
    dimensions: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CollectionContents:
    """A saved collection with its texts, labels (or None) and vectors: ``text_count`` x ``dimensions``
    little-endian float32 bytes, row i being the vector of ``texts[i]``."""

    record: CollectionRecord
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    vectors: bytes
    layout: bytes | None = None  # the map as shown when saved (the explorer's own format), if any
    origins: tuple[tuple[str, int], ...] | None = None  # texts from chat history: (conversation id, message id) each


SHARE_MODES: tuple[str, ...] = ("live", "snapshot")
"""How a share link shows its conversation: ``live`` reads it when the link is opened, ``snapshot``
shows the messages as they were when the link was made."""


@dataclass(frozen=True, slots=True)
class ShareRecord:
    """One share link as its owner lists it. ``id`` is the SHA-256 of the link's token (the token itself
    is never stored); ``title`` is the conversation's title now."""

    id: str
    owner: str
    conversation_id: str
    title: str
    mode: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewShare:
    """A share just made: its record and the token of the link (given once, never stored)."""

    record: ShareRecord
    token: str


@dataclass(frozen=True, slots=True)
class ShareContents:
    """An open (not revoked) share: its record and, for a snapshot, what was stored when it was made."""

    record: ShareRecord
    snapshot: dict[str, Any] | None = None
