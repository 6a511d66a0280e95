"""The domain's view of the embedding cache: numpy vectors in, numpy vectors out.

`SqlVectorCache` binds a session factory to one `EmbeddingScope` and runs each call in its own short
transaction, so a batch written by a job is committed before the next batch is even requested: a
job cut short by a Streamlit rerun or stop keeps every batch that finished. An unreachable or locked
database raises `DatabaseUnavailable` (storage/database.py), which ends a job the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from storage import embedding_cache
from storage.database import SessionFactory, unit_of_work
from storage.embedding_cache import EmbeddingScope, text_hash

from .settings import Connection

__all__ = ["EmbeddingScope", "SqlVectorCache", "VectorCache", "model_key", "text_hash"]


class VectorCache(Protocol):
    def lookup(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def store(self, vectors: Mapping[str, np.ndarray]) -> None: ...


def model_key(connection: Connection, model: str | None) -> str:
    """Which vectors may be shared: the endpoint (or "offline", whose port changes) plus the model.

    The credential is not part of the key: the same deployment gives the same vectors whoever asks.
    """
    where = "offline" if connection.offline else connection.endpoint
    return f"{where}#{model or ''}"


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class SqlVectorCache:
    """A `VectorCache` over `storage.embedding_cache` for one scope."""

    def __init__(self, sessions: SessionFactory, scope: EmbeddingScope):
        self._sessions = sessions
        self.scope = scope

    def lookup(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        with unit_of_work(self._sessions) as session:
            found = embedding_cache.lookup_vectors(session, self.scope, text_hashes)
        return {key: from_bytes(value) for key, value in found.items()}

    def store(self, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        with unit_of_work(self._sessions) as session:
            embedding_cache.store_vectors(session, self.scope, {key: to_bytes(value) for key, value in vectors.items()})

    def count(self, text_hashes: Sequence[str]) -> int:
        with unit_of_work(self._sessions) as session:
            return embedding_cache.count_vectors(session, self.scope, text_hashes)
