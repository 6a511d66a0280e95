"""Saved embeddings collections on SQLite and PostgreSQL: save, list, reopen, rename, delete, owners.

A collection is one row whose vectors are one float32 blob, so reopening even 100,000 texts is one
SELECT (counted on the engine) that gives back the same matrix."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from storage.collections import (
    delete_collection,
    get_collection,
    list_collections,
    open_collection,
    rename_collection,
    save_collection,
)
from storage.errors import CollectionNameTaken, CollectionNotFound

ALICE, BOB = "oidc:https://issuer.test:alice", "oidc:https://issuer.test:bob"
TEXTS = ("The cat sat on the mat.", "A man is eating food.", "Shares rose after the announcement.")
LABELS = ("animals", "food", "finance")
OPTIONS = {"spec": {"model": "local-embed", "dimensions": None}, "view": {"projection": "PCA", "clusters": 2}}


def _matrix(rows: int, dimensions: int = 8, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, dimensions)).astype("<f4")


def _save(session: Session, name: str = "Sample", owner: str = ALICE, **changes):
    values = {
        "owner": owner,
        "name": name,
        "source": "pasted lines",
        "model": "local-embed",
        "options": OPTIONS,
        "texts": TEXTS,
        "labels": LABELS,
        "vectors": _matrix(len(TEXTS)).tobytes(),
        "dimensions": 8,
    }
    values.update(changes)
    return save_collection(session, **values)


def test_a_saved_collection_reopens_with_its_texts_labels_options_and_vectors(session: Session) -> None:
    saved = _save(session)

    opened = open_collection(session, saved.id, owner=ALICE)

    assert opened.record == saved
    assert (saved.name, saved.source, saved.model, saved.text_count, saved.dimensions) == (
        "Sample",
        "pasted lines",
        "local-embed",
        3,
        8,
    )
    assert opened.texts == TEXTS and opened.labels == LABELS
    assert opened.record.options == OPTIONS
    assert np.array_equal(np.frombuffer(opened.vectors, dtype="<f4").reshape(3, 8), _matrix(3))


def test_a_collection_without_labels_reopens_without_labels(session: Session) -> None:
    saved = _save(session, labels=None)

    assert open_collection(session, saved.id, owner=ALICE).labels is None
    assert open_collection(session, saved.id, owner=ALICE).layout is None


def test_texts_from_chat_history_keep_their_messages(session: Session) -> None:
    origins = (("c-1", 11), ("c-1", 12), ("c-2", 40))

    saved = _save(session, origins=origins)
    unlinked = _save(session, name="Pasted")

    assert open_collection(session, saved.id, owner=ALICE).origins == origins
    assert open_collection(session, unlinked.id, owner=ALICE).origins is None
    with pytest.raises(ValueError, match="origins must have one entry per text"):
        _save(session, name="Short", origins=origins[:2])


def test_the_saved_layout_comes_back_byte_for_byte(session: Session) -> None:
    layout = bytes(range(256)) * 10

    saved = _save(session, layout=layout)

    assert open_collection(session, saved.id, owner=ALICE).layout == layout


def test_list_shows_the_owners_collections_newest_first(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        first = _save(session, "First")
    with session_factory.begin() as session:
        second = _save(session, "Second")
        _save(session, "Bob's", owner=BOB)

    with session_factory.begin() as session:
        listed = list_collections(session, owner=ALICE)

    assert [c.id for c in listed] == [second.id, first.id]
    assert [c.name for c in listed] == ["Second", "First"]


def test_a_name_is_unique_per_owner_unless_replaced(session: Session) -> None:
    saved = _save(session, "Sample")
    _save(session, "Sample", owner=BOB)  # another owner may use the same name

    with pytest.raises(CollectionNameTaken):
        _save(session, "  Sample ")

    replaced = _save(session, "Sample", texts=TEXTS[:2], labels=None, vectors=_matrix(2, seed=9).tobytes(), replace=True)
    assert replaced.id == saved.id and replaced.text_count == 2
    opened = open_collection(session, saved.id, owner=ALICE)
    assert opened.texts == TEXTS[:2] and opened.labels is None
    assert np.array_equal(np.frombuffer(opened.vectors, dtype="<f4").reshape(2, 8), _matrix(2, seed=9))
    assert [c.name for c in list_collections(session, owner=ALICE)] == ["Sample"]


def test_bad_input_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="name"):
        _save(session, "   ")
    with pytest.raises(ValueError, match="float32"):
        _save(session, vectors=_matrix(2).tobytes())
    with pytest.raises(ValueError, match="labels"):
        _save(session, labels=LABELS[:1])
    assert list_collections(session, owner=ALICE) == []


def test_rename_changes_the_name_and_refuses_one_in_use(session: Session) -> None:
    saved = _save(session, "Old name")
    _save(session, "Taken")

    renamed = rename_collection(session, saved.id, "  New   name ", owner=ALICE)

    assert renamed.name == "New name" and renamed.id == saved.id
    assert get_collection(session, saved.id, owner=ALICE) == renamed
    with pytest.raises(CollectionNameTaken):
        rename_collection(session, saved.id, "Taken", owner=ALICE)
    assert open_collection(session, saved.id, owner=ALICE).texts == TEXTS  # contents untouched


def test_delete_removes_it(session: Session) -> None:
    saved = _save(session)

    delete_collection(session, saved.id, owner=ALICE)

    assert list_collections(session, owner=ALICE) == []
    with pytest.raises(CollectionNotFound):
        open_collection(session, saved.id, owner=ALICE)
    with pytest.raises(CollectionNotFound):
        delete_collection(session, saved.id, owner=ALICE)


def test_another_owners_collection_looks_missing(session: Session) -> None:
    alices = _save(session, "Mine")

    assert list_collections(session, owner=BOB) == []
    assert get_collection(session, alices.id, owner=BOB) is None
    with pytest.raises(CollectionNotFound):
        open_collection(session, alices.id, owner=BOB)
    with pytest.raises(CollectionNotFound):
        rename_collection(session, alices.id, "Stolen", owner=BOB)
    with pytest.raises(CollectionNotFound):
        delete_collection(session, alices.id, owner=BOB)
    with pytest.raises(CollectionNotFound):
        open_collection(session, "not-a-uuid", owner=ALICE)

    assert open_collection(session, alices.id, owner=ALICE).record.name == "Mine"


def test_a_100000_text_collection_reopens_from_one_select(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    rows, dimensions = 100_000, 384
    matrix = np.random.default_rng(7).standard_normal((rows, dimensions)).astype("<f4")
    texts = [f"text number {i}" for i in range(rows)]
    with session_factory.begin() as session:
        saved = save_collection(
            session, owner=ALICE, name="Big", texts=texts, labels=None, vectors=matrix.tobytes(), dimensions=dimensions
        )
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_factory.begin() as session:
            opened = open_collection(session, saved.id, owner=ALICE)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    loaded = np.frombuffer(opened.vectors, dtype="<f4").reshape(opened.record.text_count, opened.record.dimensions)
    assert loaded.shape == (rows, dimensions)
    assert np.array_equal(loaded, matrix)
    assert opened.texts[0] == texts[0] and opened.texts[-1] == texts[-1] and len(opened.texts) == rows
