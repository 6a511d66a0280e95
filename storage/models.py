"""SQLAlchemy ORM models: ``conversations``, their ``folders``, ``messages``, the ``embedding_cache``, saved ``collections`` and ``shares``.

Why this module exists: it is the single Python description of the schema,
used by the repository for queries and by Alembic autogenerate to detect drift.
The schema itself is created and changed only by migrations
(``storage/migrations``); a test checks that these models and the migrated
database agree.  Only portable column types are used so SQLite and PostgreSQL
run the identical schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.clock import utcnow
from storage.records import MessageStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so later migrations (and SQLite batch
mode) can refer to constraints by name on every backend."""

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
MessageId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Conversation(Base):
    """A chat thread owned by one signed-in user ("" = anonymous mode)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # The last message of the branch shown; None = the newest message (see migration 0004).
    leaf_id: Mapped[int | None] = mapped_column(MessageId, nullable=True)
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # The folder it is in (folders.id of the same owner); None = no folder. No foreign key (see 0006).
    folder_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    __table_args__ = (
        Index("ix_conversations_owner_updated_at", "owner", "updated_at"),
        Index("ix_conversations_owner_title", "owner", "title"),
        Index("ix_conversations_owner_pinned_updated_at", "owner", "pinned", "updated_at"),
        Index("ix_conversations_owner_folder_id_pinned_updated_at", "owner", "folder_id", "pinned", "updated_at"),
    )


class Folder(Base):
    """A folder (project) of conversations, owned like one; nested by ``parent_id`` (None = top level).

    A name is unique among one owner's folders under one parent. ``system_prompt`` and ``model`` are
    what a new chat started in the folder begins with (None = no default)."""

    __tablename__ = "folders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    parent_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("folders.id"), nullable=True)
    system_prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_folders_owner_parent_id", "owner", "parent_id"),
    )


# A name is unique per owner and parent; NULLs never collide in a unique index, so the top level is keyed as ''.
Index("ux_folders_owner_parent_name", Folder.owner, func.coalesce(Folder.parent_id, ""), Folder.name, unique=True)


class Message(Base):
    """One message of a conversation; ids increase in chronological order.

    Messages form a tree: ``parent_id`` is the message this one follows (None for a first message),
    so an edited message or a regenerated reply is a sibling of the one it replaces, and ``depth`` is
    the position on the branch."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(MessageId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    parts: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=MessageStatus.COMPLETE.value)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    time_to_first_token_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_time_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    parent_id: Mapped[int | None] = mapped_column(MessageId, nullable=True)
    depth: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_conversation_id_parent_id", "conversation_id", "parent_id"),
    )


class EmbeddingCacheEntry(Base):
    """One cached embedding: the float32 vector a model returned for one text under one setting.

    The key is (owner, model_key, dimensions, input_type, text_hash); ``dimensions`` 0 means the
    model's default size and ``input_type`` "" means none was sent (NULLs would never collide in a
    unique index, so "unset" is spelled as a value).  ``vector`` holds little-endian float32 bytes.
    """

    __tablename__ = "embedding_cache"

    id: Mapped[int] = mapped_column(MessageId, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    model_key: Mapped[str] = mapped_column(String(500), nullable=False)
    dimensions: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    input_type: Mapped[str] = mapped_column(String(16), nullable=False, default="", server_default="")
    text_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        Index(
            "ux_embedding_cache_key",
            "owner",
            "model_key",
            "dimensions",
            "input_type",
            "text_hash",
            unique=True,
        ),
    )


class Collection(Base):
    """A saved embeddings exploration, owned like a conversation: its texts, labels and vectors in one row.

    ``contents`` holds the texts and labels (zlib-compressed JSON) and ``vectors`` the matrix as one
    little-endian float32 blob of ``text_count`` x ``dimensions``, so reopening is one SELECT of one row
    and one ``np.frombuffer``; listing reads only the small columns.
    """

    __tablename__ = "collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")
    model: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    text_count: Mapped[int] = mapped_column(Integer, nullable=False)
    dimensions: Mapped[int] = mapped_column(Integer, nullable=False)
    # Deferred: loading a Collection object (rename, save over) never reads the large columns.
    contents: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    vectors: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    # The map as it was shown (coordinates, clusters), opaque bytes written by the explorer; None = none.
    layout: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ux_collections_owner_name", "owner", "name", unique=True),
        Index("ix_collections_owner_updated_at", "owner", "updated_at"),
    )


class Share(Base):
    """A read-only link to a conversation: ``live`` (read when opened) or a ``snapshot`` taken when shared.

    The link's token is never stored: ``token_hash`` is its SHA-256 (hex), so a copy of the database
    opens no link. ``snapshot`` holds the shown branch's messages at share time (snapshot mode only;
    never the conversation's settings). A revoked share keeps its row with ``revoked_at`` set."""

    __tablename__ = "shares"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    conversation_id: Mapped[str] = mapped_column(
        String(36),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    )
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    snapshot: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index("ix_shares_owner_created_at", "owner", "created_at"),
        Index("ix_shares_conversation_id", "conversation_id"),
    )
