"""The embedding cache stores float32 vectors by model setting and text hash, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from storage.embedding_cache import (
    CHUNK_SIZE,
    EmbeddingScope,
    count_vectors,
    delete_vectors,
    lookup_vectors,
    store_vectors,
    text_hash,
)

SCOPE = EmbeddingScope(model_key="https://example.test#text-embedding-3-small", dimensions=0, input_type="document")


def _vector(seed: int, dimensions: int = 8) -> bytes:
    return np.random.default_rng(seed).standard_normal(dimensions).astype("<f4").tobytes()


def test_stored_vectors_come_back_byte_for_byte(session: Session) -> None:
    vectors = {text_hash(f"text {i}"): _vector(i) for i in range(3)}

    assert store_vectors(session, SCOPE, vectors) == 3

    assert lookup_vectors(session, SCOPE, list(vectors) + [text_hash("never stored")]) == vectors


def test_lookup_is_scoped_by_model_dimensions_input_type_and_owner(session: Session) -> None:
    key = text_hash("A man is eating food.")
    store_vectors(session, SCOPE, {key: _vector(1)})

    others = [
        EmbeddingScope(model_key="https://example.test#other-model", input_type="document"),
        EmbeddingScope(model_key=SCOPE.model_key, dimensions=256, input_type="document"),
        EmbeddingScope(model_key=SCOPE.model_key, input_type="query"),
        EmbeddingScope(model_key=SCOPE.model_key, input_type="document", owner="alice@example.com"),
    ]

    assert lookup_vectors(session, SCOPE, [key]) == {key: _vector(1)}
    for other in others:
        assert lookup_vectors(session, other, [key]) == {}


def test_storing_a_cached_key_again_keeps_the_first_vector(session: Session) -> None:
    key = text_hash("same text")
    store_vectors(session, SCOPE, {key: _vector(1)})

    added = store_vectors(session, SCOPE, {key: _vector(2), text_hash("new text"): _vector(3)})

    assert added == 1
    assert lookup_vectors(session, SCOPE, [key])[key] == _vector(1)
    assert count_vectors(session, SCOPE) == 2


def test_bulk_lookup_and_store_span_several_chunks(session: Session) -> None:
    total = CHUNK_SIZE * 2 + 37
    vectors = {text_hash(f"row {i}"): _vector(i, 4) for i in range(total)}

    assert store_vectors(session, SCOPE, vectors) == total

    found = lookup_vectors(session, SCOPE, vectors)
    assert len(found) == total
    assert found[text_hash("row 1036")] == _vector(1036, 4)
    assert count_vectors(session, SCOPE, list(vectors)[: CHUNK_SIZE + 1]) == CHUNK_SIZE + 1


def test_concurrent_writers_of_the_same_texts_do_not_fail(session_factory: sessionmaker[Session]) -> None:
    vectors = {text_hash(f"shared {i}"): _vector(i) for i in range(CHUNK_SIZE + 100)}
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait(timeout=10)
            with session_factory.begin() as own_session:
                store_vectors(own_session, SCOPE, vectors)
        except BaseException as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with session_factory.begin() as check:
        assert count_vectors(check, SCOPE) == len(vectors)


def test_delete_forgets_one_model_or_everything_of_an_owner(session: Session) -> None:
    other = EmbeddingScope(model_key="offline:local-embed")
    store_vectors(session, SCOPE, {text_hash("a"): _vector(1)})
    store_vectors(session, other, {text_hash("a"): _vector(1), text_hash("b"): _vector(2)})

    assert delete_vectors(session, model_key=other.model_key) == 2
    assert count_vectors(session, other) == 0
    assert count_vectors(session, SCOPE) == 1
    assert delete_vectors(session) == 1


def test_bad_keys_and_scopes_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        store_vectors(session, SCOPE, {"not-a-hash": _vector(1)})
    with pytest.raises(ValueError, match="float32"):
        store_vectors(session, SCOPE, {text_hash("x"): b"abc"})
    with pytest.raises(ValueError, match="input_type"):
        EmbeddingScope(model_key="m", input_type="passage")
    with pytest.raises(ValueError, match="model_key"):
        EmbeddingScope(model_key="")


def test_migration_creates_the_unique_cache_key(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("embedding_cache")}

    assert indexes["ux_embedding_cache_key"]["unique"]
    assert indexes["ux_embedding_cache_key"]["column_names"] == ["owner", "model_key", "dimensions", "input_type", "text_hash"]
