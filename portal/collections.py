"""Saved embeddings collections: keep an exploration by name, then list, reopen, rename, delete, export.

A collection is what the explorer showed: the texts that have a vector (with their labels), where they
came from, the embedding options (`EmbeddingSpec`) and the map's options, and the vectors as one
matrix. Reopening reads one database row and turns its blob into the matrix with `np.frombuffer`, so
a 100,000-text collection shows its map without embedding anything again (and without the cache: a
collection keeps its own vectors). Each use case is one short transaction (`unit_of_work`), scoped to
the owner; the page keeps the reopened matrix in a small process cache keyed by owner, id and save
time, so reruns do not read it again.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from storage import repository
from storage.database import SessionFactory, unit_of_work
from storage.records import CollectionContents, CollectionRecord

from .embedding_explorer import EmbeddingSpec
from .embedding_jobs import EmbeddingOutcome, JobProgress, JobStatus
from .projections import KMEANS, Projection
from .text_inputs import TextSet

EXPORT_FORMAT = "portal.embeddings-collection"
EXPORT_VERSION = 1
_SPEC_FIELDS = tuple(f.name for f in fields(EmbeddingSpec))


def spec_options(spec: EmbeddingSpec) -> dict[str, Any]:
    return asdict(spec)


def spec_from_options(options: Mapping[str, Any]) -> EmbeddingSpec:
    """The stored spec; unknown keys are ignored and missing ones take their defaults."""
    stored = options.get("spec") or {}
    return EmbeddingSpec(**{name: stored[name] for name in _SPEC_FIELDS if name in stored})


@dataclass(frozen=True)
class SavedMap:
    """The map as the page showed it: the projection, the k-means clusters of every row and the
    clusters' names (None when the map was coloured by label and they were not computed)."""

    projection: Projection
    dims: int
    clusters: np.ndarray
    k: int
    names: dict[str, str] | None = None
    clustering: str = KMEANS  # or HDBSCAN (then k is how many clusters it found)

    def matches(self, method: str, dims: int) -> bool:
        return (self.projection.method, self.dims) == (method, dims)


def encode_map(saved: SavedMap) -> tuple[bytes, dict[str, Any]]:
    """The map's arrays as one .npz blob (no pickle) and its small facts for the options."""
    buffer = io.BytesIO()
    projection = saved.projection
    np.savez(
        buffer,
        coords=np.asarray(projection.coords, dtype="<f4"),
        indices=np.asarray(projection.indices, dtype="<i8"),
        clusters=np.asarray(saved.clusters, dtype="<i4"),
    )
    facts = {
        "method": projection.method,
        "dims": saved.dims,
        "total": projection.total,
        "k": saved.k,
        "names": saved.names,
        "clustering": saved.clustering,
    }
    return buffer.getvalue(), facts


def decode_map(layout: bytes | None, facts: Mapping[str, Any] | None) -> SavedMap | None:
    """The saved map, or None when there is none (or it cannot be read: the page then computes it)."""
    if layout is None or not facts:
        return None
    try:
        with np.load(io.BytesIO(layout), allow_pickle=False) as arrays:
            coords, indices, clusters = arrays["coords"], arrays["indices"], arrays["clusters"]
        projection = Projection(coords=coords, indices=indices, method=str(facts["method"]), total=int(facts["total"]))
        names = facts.get("names")
        clustering = str(facts.get("clustering") or KMEANS)  # maps saved before HDBSCAN was offered are k-means
        return SavedMap(
            projection, int(facts["dims"]), clusters.astype(np.int64), int(facts["k"]), dict(names) if names else None, clustering
        )
    except (KeyError, ValueError, TypeError, OSError):
        return None


@dataclass(frozen=True)
class OpenedCollection:
    """A reopened collection: the texts as a `TextSet`, the spec, the map's options and the vectors
    (a read-only float32 matrix, row i for text i)."""

    record: CollectionRecord
    text_set: TextSet
    spec: EmbeddingSpec
    vectors: np.ndarray
    view: dict[str, Any] = field(default_factory=dict)
    saved_map: SavedMap | None = None

    def outcome(self) -> EmbeddingOutcome:
        """The collection as a finished embedding run (every text has its vector), for the views."""
        count = len(self.text_set)
        return EmbeddingOutcome(
            texts=self.text_set.texts,
            vectors=self.vectors,
            indices=np.arange(count),
            status=JobStatus.COMPLETE,
            progress=JobProgress(total=count, cached=count),
            model=self.spec.model,
        )


def opened(contents: CollectionContents) -> OpenedCollection:
    """Turn stored contents into the explorer's types: one `np.frombuffer` for the whole matrix."""
    record = contents.record
    vectors = np.frombuffer(contents.vectors, dtype="<f4").reshape(record.text_count, record.dimensions)
    text_set = TextSet(texts=contents.texts, labels=contents.labels, source=record.source, origins=contents.origins)
    return OpenedCollection(
        record=record,
        text_set=text_set,
        spec=spec_from_options(record.options),
        vectors=vectors,
        view=dict(record.options.get("view") or {}),
        saved_map=decode_map(contents.layout, record.options.get("map")),
    )


class Collections:
    """The collections of one owner, over the shared session factory (cheap; one per page run)."""

    def __init__(self, sessions: SessionFactory, *, owner: str = ""):
        self._sessions = sessions
        self._owner = owner

    def save(
        self,
        name: str,
        text_set: TextSet,
        spec: EmbeddingSpec,
        outcome: EmbeddingOutcome,
        *,
        view: Mapping[str, Any] | None = None,
        shown_map: SavedMap | None = None,
        replace: bool = False,
    ) -> CollectionRecord:
        """Save what the explorer shows: the texts that have a vector, their labels and vectors, the
        spec and the map's options. Raises ValueError (blank name, nothing embedded) or
        `CollectionNameTaken` (storage.errors) unless `replace`. `shown_map` (the map over these rows)
        is kept so that reopening shows it without projecting and clustering again."""
        rows = np.asarray(outcome.indices, dtype=np.int64)
        if len(rows) == 0 or outcome.vectors.ndim != 2:
            raise ValueError("There is nothing embedded to save yet.")
        texts = [text_set.texts[i] for i in rows]
        labels = [text_set.labels[i] for i in rows] if text_set.labels is not None else None
        origins = [text_set.origins[i] for i in rows] if text_set.origins is not None else None
        matrix = np.ascontiguousarray(outcome.vectors, dtype="<f4")
        options: dict[str, Any] = {"spec": spec_options(spec), "view": dict(view or {})}
        layout = None
        if shown_map is not None and len(shown_map.clusters) == len(rows):
            layout, options["map"] = encode_map(shown_map)
        with unit_of_work(self._sessions) as session:
            return repository.save_collection(
                session,
                owner=self._owner,
                name=name,
                source=text_set.source,
                model=spec.model or "",
                options=options,
                texts=texts,
                labels=labels,
                origins=origins,
                vectors=matrix.tobytes(),
                dimensions=int(matrix.shape[1]),
                layout=layout,
                replace=replace,
            )

    def list(self) -> list[CollectionRecord]:
        with unit_of_work(self._sessions) as session:
            return repository.list_collections(session, owner=self._owner)

    def open(self, collection_id: str) -> OpenedCollection:
        """One SELECT of the collection's row; raises `CollectionNotFound` if it is gone or not the owner's."""
        with unit_of_work(self._sessions) as session:
            contents = repository.open_collection(session, collection_id, owner=self._owner)
        return opened(contents)

    def rename(self, collection_id: str, name: str) -> CollectionRecord:
        with unit_of_work(self._sessions) as session:
            return repository.rename_collection(session, collection_id, name, owner=self._owner)

    def delete(self, collection_id: str) -> None:
        with unit_of_work(self._sessions) as session:
            repository.delete_collection(session, collection_id, owner=self._owner)


def texts_csv(collection: OpenedCollection) -> bytes:
    """The texts (and labels) as CSV, one row per text in the collection's order."""
    table = pd.DataFrame({"text": list(collection.text_set.texts)})
    if collection.text_set.labels is not None:
        table["label"] = list(collection.text_set.labels)
    return table.to_csv(index=False).encode("utf-8")


def description_json(collection: OpenedCollection) -> bytes:
    """What the collection is: name, source, model, options, size and dates (no texts, no vectors)."""
    record = collection.record
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "name": record.name,
        "source": record.source,
        "model": record.model,
        "options": record.options,
        "text_count": record.text_count,
        "dimensions": record.dimensions,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def vectors_npy(collection: OpenedCollection) -> bytes:
    """The vectors as a NumPy .npy file (float32, one row per text of the CSV)."""
    buffer = io.BytesIO()
    np.save(buffer, collection.vectors, allow_pickle=False)
    return buffer.getvalue()
