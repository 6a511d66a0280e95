"""Saved collections on the embeddings page (AppTest, real local server, real SQLite file): save what
the map shows, then reopen it in a new session with its map and options and no embeddings request;
rename, delete and export it."""

from __future__ import annotations

import io
import json
import sqlite3

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.embedding_inputs import SAMPLE_TEXTS
from localserver import RunningServer
from tests.apptest import PortalApp, open_app
from tests.embeddings.support import inputs_sent

TEXTS = SAMPLE_TEXTS.split("\n")


@pytest.fixture
def server(start_server, portal_app: PortalApp) -> RunningServer:
    server = start_server()
    portal_app.endpoint(server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed").set(PORTAL_OFFLINE_DEMO="never")
    return server


def _app() -> AppTest:
    return open_app(page="embeddings", timeout=60)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _scatter_texts(at: AppTest) -> list[str]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [text for trace in figure["data"] if trace["name"] != "query neighbours" for text in trace["hovertext"]]


def _save(at: AppTest, name: str) -> AppTest:
    at.text_input(key=keys.SAVE_NAME).input(name)
    return _ok(at.button(key="FormSubmitter:emb_save_form-Save").click().run())


def _embed_and_save(name: str = "Sample texts") -> AppTest:
    at = _ok(_app())
    _ok(_button(at, "Embed").click().run())
    at.number_input(key=keys.CLUSTERS).set_value(3)
    _ok(at.run())
    return _save(at, name)


def test_a_saved_collection_reopens_in_a_new_session_with_its_map_and_no_request(server, portal_app: PortalApp):
    first = _embed_and_save()
    assert any("Saved **Sample texts** (11 texts)" in s.value for s in first.success)
    sent = inputs_sent(server)
    with sqlite3.connect(portal_app.data_dir / "portal.db") as database:  # the collection keeps its own vectors
        database.execute("DELETE FROM embedding_cache")

    again = _ok(_app())  # a new session: nothing embedded, no map yet
    assert not again.get("plotly_chart")
    assert [o for o in again.selectbox(key=keys.COLLECTION_PICK).options if o.startswith("Sample texts · 11 texts")]
    _ok(_button(again, "Open on the map").click().run())

    assert sorted(_scatter_texts(again)) == sorted(TEXTS)
    assert again.number_input(key=keys.CLUSTERS).value == 3  # the map's options come back too
    assert any("Opened **Sample texts**" in s.value for s in again.success)
    assert inputs_sent(server) == sent  # nothing was embedded again


def test_rename_delete_and_export(server):
    at = _embed_and_save("Old name")

    at.text_input(key=keys.COLLECTION_RENAME).input("New name")
    _ok(_button(at, "Rename").click().run())
    assert at.selectbox(key=keys.COLLECTION_PICK).options[0].startswith("New name · 11 texts")

    downloads = {d.proto.label: d for d in at.get("download_button")}
    assert {"Texts CSV", "Options JSON", "Vectors .npy"} <= set(downloads)

    _ok(_button(at, "Delete").click().run())
    assert any("Deleted **New name**" in s.value for s in at.success)
    assert any("Saved collections (0)" in e.label for e in at.expander)


def test_a_name_in_use_is_refused_unless_replace_is_ticked(server):
    at = _embed_and_save("Twice")

    _save(at, "Twice")
    assert any("already exists" in e.value for e in at.error)

    at.checkbox(key=keys.SAVE_REPLACE).check()
    _save(at, "Twice")
    assert any("Saved **Twice**" in s.value for s in at.success)
    assert any("Saved collections (1)" in e.label for e in at.expander)


def test_exports_hold_the_texts_options_and_vectors():
    from datetime import UTC, datetime

    from portal.collections import OpenedCollection, description_json, texts_csv, vectors_npy
    from portal.embedding_explorer import EmbeddingSpec
    from portal.text_inputs import TextSet
    from storage.records import CollectionRecord

    now = datetime(2026, 12, 5, tzinfo=UTC)
    options = {"spec": {"model": "local-embed"}, "view": {"clusters": 2}}
    record = CollectionRecord("id", "", "Name", "pasted lines", "local-embed", options, 2, 3, now, now)
    vectors = np.arange(6, dtype="<f4").reshape(2, 3)
    collection = OpenedCollection(record, TextSet(("a, b", "c"), ("x", "y")), EmbeddingSpec(model="local-embed"), vectors)

    assert texts_csv(collection).decode() == 'text,label\n"a, b",x\nc,y\n'
    described = json.loads(description_json(collection))
    assert (described["name"], described["options"], described["text_count"], described["dimensions"]) == ("Name", options, 2, 3)
    assert np.array_equal(np.load(io.BytesIO(vectors_npy(collection))), vectors)


def test_a_collection_keeps_its_map_and_its_owner(sessions):
    from portal.collections import Collections, SavedMap
    from portal.embedding_explorer import EmbeddingSpec
    from portal.embedding_jobs import EmbeddingOutcome, JobProgress, JobStatus
    from portal.projections import PCA, kmeans_clusters, project
    from portal.text_inputs import TextSet
    from storage.errors import CollectionNotFound

    vectors = np.random.default_rng(5).standard_normal((len(TEXTS), 16)).astype(np.float32)
    outcome = EmbeddingOutcome(tuple(TEXTS), vectors, np.arange(len(TEXTS)), JobStatus.COMPLETE, JobProgress(total=len(TEXTS)))
    shown = SavedMap(project(vectors, PCA, 2), 2, kmeans_clusters(vectors, 3), 3, {"cluster 0": "cat mat"})
    alice, bob = Collections(sessions, owner="alice"), Collections(sessions, owner="bob")

    record = alice.save(
        "Mine", TextSet(tuple(TEXTS), source="pasted lines"), EmbeddingSpec(model="local-embed"), outcome, shown_map=shown
    )
    opened = alice.open(record.id)

    assert opened.spec == EmbeddingSpec(model="local-embed") and opened.text_set.texts == tuple(TEXTS)
    assert np.array_equal(opened.vectors, vectors)
    assert opened.saved_map is not None and opened.saved_map.matches(PCA, 2) and opened.saved_map.k == 3
    assert np.array_equal(opened.saved_map.projection.coords, shown.projection.coords)
    assert np.array_equal(opened.saved_map.clusters, shown.clusters) and opened.saved_map.names == {"cluster 0": "cat mat"}
    assert bob.list() == []
    with pytest.raises(CollectionNotFound):
        bob.open(record.id)
    with pytest.raises(CollectionNotFound):
        bob.delete(record.id)
    assert [c.name for c in alice.list()] == ["Mine"]


def test_a_collection_name_is_shown_as_typed_never_as_markdown(server):
    name = "**bold** [link](https://example.com)"
    at = _embed_and_save(name)
    [saved] = [s.value for s in at.success if s.value.startswith("Saved ")]
    assert "**bold**" not in saved.removeprefix("Saved **")  # the name's own asterisks are escaped
    assert "](https://example.com)" not in saved  # and its link is not a link
    assert r"\*\*bold\*\*" in saved
