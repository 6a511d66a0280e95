"""Repository functions for the embedding cache: vectors keyed by model setting and text hash.

Why this module exists: embedding the same texts twice costs money and time, so every vector the
service returns is stored at once (one short transaction per finished batch, which is also what
lets an interrupted job keep its work) and looked up before the next request.  Functions take a
``Session`` first and never commit; vectors cross this boundary as raw little-endian float32
bytes, so storage stays free of numpy and of the domain's types.

Lookups and inserts run in chunks of ``CHUNK_SIZE`` keys, which keeps every statement under
SQLite's bound-parameter limit and PostgreSQL's comfortable ``IN`` list size.  Inserts skip keys
that already exist (``ON CONFLICT DO NOTHING`` on the unique key index), so two sessions that embed
the same texts at the same time do not fail each other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import EmbeddingCacheEntry

CHUNK_SIZE = 500
MODEL_KEY_MAX_LENGTH = 500
INPUT_TYPES = frozenset({"", "text", "query", "document"})
_TEXT_HASH = re.compile(r"[0-9a-f]{64}")

_T = TypeVar("_T")


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes, as 64 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class EmbeddingScope:
    """Everything a cached vector depends on except the text itself.

    ``model_key`` names the connection and model (or deployment); ``dimensions`` is the size
    asked of the service (0 = the model's default); ``input_type`` is what was sent ("" = none).
    """

    model_key: str
    dimensions: int = 0
    input_type: str = ""
    owner: str = ""

    def __post_init__(self) -> None:
        if not self.model_key or len(self.model_key) > MODEL_KEY_MAX_LENGTH:
            raise ValueError(f"model_key must be 1 to {MODEL_KEY_MAX_LENGTH} characters")
        if self.dimensions < 0:
            raise ValueError("dimensions must not be negative (0 = the model's default)")
        if self.input_type not in INPUT_TYPES:
            raise ValueError(f"input_type must be one of {sorted(INPUT_TYPES)}, not {self.input_type!r}")


def _chunks(items: Sequence[_T], size: int = CHUNK_SIZE) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _scoped(scope: EmbeddingScope) -> list[Any]:
    return [
        EmbeddingCacheEntry.owner == scope.owner,
        EmbeddingCacheEntry.model_key == scope.model_key,
        EmbeddingCacheEntry.dimensions == scope.dimensions,
        EmbeddingCacheEntry.input_type == scope.input_type,
    ]


def lookup_vectors(session: Session, scope: EmbeddingScope, text_hashes: Iterable[str]) -> dict[str, bytes]:
    """The cached vectors among ``text_hashes`` as ``{text_hash: float32 bytes}`` (misses are absent)."""
    wanted = list(dict.fromkeys(text_hashes))
    found: dict[str, bytes] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(EmbeddingCacheEntry.text_hash, EmbeddingCacheEntry.vector).where(
                *_scoped(scope), EmbeddingCacheEntry.text_hash.in_(chunk)
            )
        )
        found.update((row.text_hash, bytes(row.vector)) for row in rows)
    return found


def _insert_ignoring_existing(session: Session):  # noqa: ANN202 - dialect-specific Insert
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(EmbeddingCacheEntry)
    if dialect == "sqlite":
        return sqlite.insert(EmbeddingCacheEntry)
    raise ValueError(f"unsupported database dialect {dialect!r}")


def store_vectors(session: Session, scope: EmbeddingScope, vectors: Mapping[str, bytes]) -> int:
    """Add vectors (``{text_hash: float32 bytes}``); keys already cached are kept as they are.

    Returns how many rows were new.  Raises ``ValueError`` for an empty vector or a malformed hash.
    """
    for key, value in vectors.items():
        if not isinstance(key, str) or not _TEXT_HASH.fullmatch(key):
            raise ValueError(f"text_hash must be 64 lowercase hex digits, not {key!r}")
        if not value or len(value) % 4:
            raise ValueError("a vector must be non-empty float32 bytes")
    if not vectors:
        return 0
    now = utcnow()
    rows = [
        {
            "owner": scope.owner,
            "model_key": scope.model_key,
            "dimensions": scope.dimensions,
            "input_type": scope.input_type,
            "text_hash": key,
            "vector": value,
            "created_at": now,
        }
        for key, value in vectors.items()
    ]
    # No lookup first (a job writes every finished batch, so this is on its hot path): ON CONFLICT
    # DO NOTHING keeps what is cached, and what was new is counted by the insert itself, through
    # the executemany's summed rowcount on SQLite and RETURNING on PostgreSQL (psycopg's
    # executemany reports no rowcount).
    insert = _insert_ignoring_existing(session)
    statement = insert.on_conflict_do_nothing(index_elements=["owner", "model_key", "dimensions", "input_type", "text_hash"])
    connection = session.connection()  # Core, not an ORM bulk insert: its result has the rowcount
    if connection.dialect.name == "postgresql":
        statement = statement.returning(EmbeddingCacheEntry.id)
        return sum(len(connection.execute(statement, list(chunk)).all()) for chunk in _chunks(rows))
    return sum(connection.execute(statement, list(chunk)).rowcount for chunk in _chunks(rows))


def count_vectors(session: Session, scope: EmbeddingScope, text_hashes: Iterable[str] | None = None) -> int:
    """How many vectors the cache holds for ``scope`` (only among ``text_hashes`` if given)."""
    if text_hashes is None:
        return int(session.scalar(select(func.count()).select_from(EmbeddingCacheEntry).where(*_scoped(scope))) or 0)
    total = 0
    for chunk in _chunks(list(dict.fromkeys(text_hashes))):
        total += int(
            session.scalar(
                select(func.count())
                .select_from(EmbeddingCacheEntry)
                .where(*_scoped(scope), EmbeddingCacheEntry.text_hash.in_(chunk))
            )
            or 0
        )
    return total


def delete_vectors(session: Session, *, owner: str = "", model_key: str | None = None) -> int:
    """Forget ``owner``'s cached vectors (only those of ``model_key`` if given); returns how many."""
    statement = delete(EmbeddingCacheEntry).where(EmbeddingCacheEntry.owner == owner)
    if model_key is not None:
        statement = statement.where(EmbeddingCacheEntry.model_key == model_key)
    result = session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
