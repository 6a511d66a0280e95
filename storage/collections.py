"""Repository functions for saved embeddings collections: save, list, open, rename, delete.

Why this module exists: an exploration (its texts, labels, source, model, options and vectors) is
kept by name, owned like a conversation: every query is scoped to an owner, and another owner's
collection behaves exactly like a missing one (``CollectionNotFound``). Functions take a ``Session``
first and never commit.

A collection is one row: the texts and labels as zlib-compressed JSON and the vectors as one
little-endian float32 blob (row-major, ``text_count`` x ``dimensions``). Opening one is a single
SELECT of that row, and the caller turns the blob into a matrix with one ``np.frombuffer``; listing
reads only the small columns. Vectors cross this boundary as bytes, so storage stays free of numpy.
"""

from __future__ import annotations

import copy
import json
import uuid
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage._common import as_utc, normalize_conversation_id
from storage.clock import utcnow
from storage.errors import CollectionNameTaken, CollectionNotFound
from storage.models import Collection
from storage.records import COLLECTION_NAME_MAX_LENGTH, CollectionContents, CollectionRecord

SOURCE_MAX_LENGTH = MODEL_MAX_LENGTH = 500
FLOAT32_BYTES = 4
_COMPRESSION_LEVEL = 1  # texts compress about 3x already at level 1, at a fraction of level 6's time

_LISTED = (
    Collection.id,
    Collection.owner,
    Collection.name,
    Collection.source,
    Collection.model,
    Collection.options,
    Collection.text_count,
    Collection.dimensions,
    Collection.created_at,
    Collection.updated_at,
)


def clean_name(name: object) -> str:
    """A single-line, trimmed name of 1 to 200 characters; raises ValueError when blank."""
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    text = " ".join(name.split())
    if not text:
        raise ValueError("Give the collection a name.")
    if len(text) > COLLECTION_NAME_MAX_LENGTH:
        raise ValueError(f"A collection name has at most {COLLECTION_NAME_MAX_LENGTH} characters.")
    return text


def _record(row: Any) -> CollectionRecord:
    return CollectionRecord(
        id=row.id,
        owner=row.owner,
        name=row.name,
        source=row.source,
        model=row.model,
        options=copy.deepcopy(dict(row.options or {})),
        text_count=int(row.text_count),
        dimensions=int(row.dimensions),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _encode_contents(texts: Sequence[str], labels: Sequence[str] | None, origins: Sequence[tuple[str, int]] | None) -> bytes:
    payload: dict[str, Any] = {"texts": list(texts), "labels": list(labels) if labels is not None else None}
    if origins is not None:
        payload["origins"] = [[conversation_id, message_id] for conversation_id, message_id in origins]
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), _COMPRESSION_LEVEL)


def _decode_contents(data: bytes) -> tuple[tuple[str, ...], tuple[str, ...] | None, tuple[tuple[str, int], ...] | None]:
    payload = json.loads(zlib.decompress(data).decode("utf-8"))
    labels = payload.get("labels")
    origins = payload.get("origins")  # absent in collections saved before origins were kept
    return (
        tuple(payload["texts"]),
        tuple(labels) if labels is not None else None,
        tuple((str(c), int(m)) for c, m in origins) if origins is not None else None,
    )


def _name_taken(session: Session, owner: str, name: str, *, other_than: str | None = None) -> bool:
    statement = select(Collection.id).where(Collection.owner == owner, Collection.name == name)
    if other_than is not None:
        statement = statement.where(Collection.id != other_than)
    return session.scalar(statement) is not None


def save_collection(
    session: Session,
    *,
    owner: str = "",
    name: str,
    source: str = "",
    model: str = "",
    options: Mapping[str, Any] | None = None,
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    origins: Sequence[tuple[str, int]] | None = None,
    vectors: bytes,
    dimensions: int,
    layout: bytes | None = None,
    replace: bool = False,
) -> CollectionRecord:
    """Save a collection for ``owner`` under ``name`` and return it (without its contents).

    ``vectors`` is ``len(texts)`` x ``dimensions`` float32 bytes. A name already used by ``owner``
    raises ``CollectionNameTaken`` unless ``replace``, which overwrites that collection (same id).
    ``layout`` is opaque to storage: the explorer's saved map, given back by ``open_collection``.
    """
    name = clean_name(name)
    texts = [str(text) for text in texts]
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != len(texts):
            raise ValueError("labels must have one entry per text")
    if origins is not None:
        origins = [(str(conversation_id), int(message_id)) for conversation_id, message_id in origins]
        if len(origins) != len(texts):
            raise ValueError("origins must have one entry per text")
    if dimensions < 1:
        raise ValueError("dimensions must be at least 1")
    if len(vectors) != len(texts) * dimensions * FLOAT32_BYTES:
        raise ValueError(f"vectors must be {len(texts)} x {dimensions} float32 values ({len(vectors)} bytes given)")
    options_copy = dict(options or {})
    json.dumps(options_copy)  # raises TypeError for what JSON cannot store
    now = utcnow()
    values: dict[str, Any] = {
        "source": str(source)[:SOURCE_MAX_LENGTH],
        "model": str(model or "")[:MODEL_MAX_LENGTH],
        "options": options_copy,
        "text_count": len(texts),
        "dimensions": int(dimensions),
        "contents": _encode_contents(texts, labels, origins),
        "vectors": bytes(vectors),
        "layout": bytes(layout) if layout is not None else None,
        "updated_at": now,
    }
    existing = session.scalar(select(Collection).where(Collection.owner == owner, Collection.name == name))
    if existing is not None:
        if not replace:
            raise CollectionNameTaken(name)
        for key, value in values.items():
            setattr(existing, key, value)
        session.flush()
        return _record(existing)
    row = Collection(id=str(uuid.uuid4()), owner=owner, name=name, created_at=now, **values)
    session.add(row)
    session.flush()
    return _record(row)


def list_collections(session: Session, *, owner: str = "") -> list[CollectionRecord]:
    """``owner``'s collections, most recently saved or renamed first (texts and vectors are not read)."""
    rows = session.execute(
        select(*_LISTED).where(Collection.owner == owner).order_by(Collection.updated_at.desc(), Collection.name)
    )
    return [_record(row) for row in rows]


def get_collection(session: Session, collection_id: str, *, owner: str = "") -> CollectionRecord | None:
    """The collection (without its contents), or None if unknown, malformed or not ``owner``'s."""
    key = normalize_conversation_id(collection_id)
    if key is None:
        return None
    row = session.execute(select(*_LISTED).where(Collection.id == key, Collection.owner == owner)).first()
    return _record(row) if row is not None else None


def open_collection(session: Session, collection_id: str, *, owner: str = "") -> CollectionContents:
    """The collection with its texts, labels and vectors, read with one SELECT of its row.

    Raises ``CollectionNotFound`` if it is unknown or not ``owner``'s."""
    key = normalize_conversation_id(collection_id)
    if key is None:
        raise CollectionNotFound(collection_id)
    row = session.execute(select(Collection.__table__).where(Collection.id == key, Collection.owner == owner)).first()
    if row is None:
        raise CollectionNotFound(collection_id)
    texts, labels, origins = _decode_contents(bytes(row.contents))
    layout = bytes(row.layout) if row.layout is not None else None
    return CollectionContents(
        record=_record(row), texts=texts, labels=labels, vectors=bytes(row.vectors), layout=layout, origins=origins
    )


def rename_collection(session: Session, collection_id: str, name: str, *, owner: str = "") -> CollectionRecord:
    """Rename ``owner``'s collection; raises ``CollectionNotFound`` or ``CollectionNameTaken``."""
    name = clean_name(name)
    key = normalize_conversation_id(collection_id)
    row = session.scalar(select(Collection).where(Collection.id == key, Collection.owner == owner)) if key else None
    if row is None:
        raise CollectionNotFound(collection_id)
    if row.name != name:
        if _name_taken(session, owner, name, other_than=row.id):
            raise CollectionNameTaken(name)
        row.name = name
        row.updated_at = utcnow()
        session.flush()
    return _record(row)


def delete_collection(session: Session, collection_id: str, *, owner: str = "") -> None:
    """Delete ``owner``'s collection; raises ``CollectionNotFound`` if it is unknown or not theirs."""
    key = normalize_conversation_id(collection_id)
    result = session.execute(delete(Collection).where(Collection.id == key, Collection.owner == owner)) if key else None
    if result is None or not result.rowcount:  # type: ignore[attr-defined]
        raise CollectionNotFound(collection_id)
