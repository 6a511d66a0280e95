"""The embeddings page through Streamlit's AppTest, against a real local server and a real SQLite file.

The connection points at a local server started for the test (so its request log counts exactly
this test's embeddings requests); `PORTAL_DATA_DIR` is a temporary directory, and the Streamlit
caches are fresh for each test (the `portal_app` fixture, tests/apptest.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.embedding_inputs import SAMPLE_TEXTS
from localserver import RunningServer
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import load_settings
from portal.text_inputs import from_pasted
from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.apptest import PortalApp, open_app
from tests.embeddings.support import embeddings_requests, inputs_sent, plotly_array

TEXTS = SAMPLE_TEXTS.split("\n")  # the page's own sample, as a new user first sees it


@pytest.fixture
def server(start_server, portal_app: PortalApp) -> RunningServer:
    """A local server of this test's own, the app's only connection (no offline demo)."""
    server = start_server()
    portal_app.endpoint(server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed").set(PORTAL_OFFLINE_DEMO="never")
    return server


def _app(run: bool = True) -> AppTest:
    return open_app(page="embeddings", timeout=60, run=run)


def _embed(at: AppTest, texts: list[str] = TEXTS) -> AppTest:
    at.text_area(key=keys.PASTE).input("\n".join(texts))
    next(b for b in at.button if b.label == "Embed").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _scatter_points(figure: dict) -> list[str]:
    return [text for trace in figure["data"] if trace["name"] != "query neighbours" for text in trace["hovertext"]]


def test_pasted_texts_are_embedded_and_shown_on_a_scatter_and_a_heatmap(server):
    at = _embed(_app())

    assert at.success[0].value.startswith("Embedded 10 texts (10 embedded, 0 from the cache")
    assert inputs_sent(server) == 10
    scatter, heatmap = _figures(at)
    assert sorted(_scatter_points(scatter)) == sorted(TEXTS)
    assert {trace["type"] for trace in scatter["data"]} == {"scatter"}
    assert all(trace["name"].startswith("cluster ") for trace in scatter["data"])
    matrix = plotly_array(heatmap["data"][0]["z"])
    assert matrix.shape == (10, 10) and np.allclose(np.diag(matrix), 1.0, atol=1e-5)
    assert "Cosine similarity of all 10 texts, ordered by k-means cluster." in [c.value for c in at.caption]


def test_a_query_lists_ranked_neighbours_and_highlights_them_on_the_scatter(server):
    at = _embed(_app())

    at.number_input(key=keys.TOP_K).set_value(3)
    at.text_input(key=keys.QUERY).input("A man is riding a horse.").run()

    ranked = at.dataframe[0].value
    assert ranked["text"].tolist()[0] == "A man is riding a horse."
    assert ranked["score"].tolist()[0] == pytest.approx(1.0, abs=1e-3)
    assert ranked["score"].is_monotonic_decreasing and len(ranked) == 3
    highlight = next(trace for trace in _figures(at)[0]["data"] if trace["name"] == "query neighbours")
    assert len(highlight["hovertext"]) == 3 and "A man is riding a horse." in highlight["hovertext"][0]


def test_a_second_identical_run_makes_no_embeddings_request(server):
    _embed(_app())
    after_first = embeddings_requests(server)

    again = _embed(_app())  # a new session over the same database

    assert embeddings_requests(server) == after_first == 1
    assert "0 embedded, 10 from the cache; 0 requests" in again.success[0].value
    assert sorted(_scatter_points(_figures(again)[0])) == sorted(TEXTS)


def test_an_interrupted_run_says_how_many_texts_were_kept(server, tmp_path):
    text_set = from_pasted("\n".join(TEXTS))
    spec = EmbeddingSpec(model="local-embed")
    # What a run interrupted after its first batch leaves behind: 4 cached vectors, and the marker.
    engine = make_engine(default_database_url(tmp_path))
    upgrade_to_head(engine)
    connection = load_settings().connections[0]
    backend = AzureInferenceBackend(connection)
    EmbeddingExplorer(make_sessionmaker(engine), backend, connection).embed(TEXTS[:4], spec)
    backend.close()
    engine.dispose()
    at = _app(run=False)
    at.session_state[keys.RUNNING] = (text_set, spec)
    at.session_state[keys.CORPUS] = (text_set, spec)

    at.run()

    assert "interrupted: 4 of 10 texts were embedded and kept" in at.warning[0].value
    assert "6 of 10 texts have no vector yet" in at.info[0].value
    assert len(_scatter_points(_figures(at)[0])) == 4
    _embed(at)
    assert inputs_sent(server) == 4 + 6  # the resumed run sent only the missing six


def test_chat_history_texts_are_coloured_by_conversation(server, tmp_path):
    engine = make_engine(default_database_url(tmp_path))
    upgrade_to_head(engine)
    with make_sessionmaker(engine).begin() as session:
        pets = repository.create_conversation(session, title="Pets")
        for text in ("Do cats purr?", "Cats purr when content."):
            repository.add_message(session, pets.id, role="user", content=text)
        cars = repository.create_conversation(session, title="Cars")
        for text in ("Is a diesel engine efficient?", "Electric cars are quiet."):
            repository.add_message(session, cars.id, role="user", content=text)
    engine.dispose()
    at = _app()

    at.radio(key=keys.SOURCE).set_value("Chat history").run()
    at.multiselect(key=keys.CONVERSATIONS).select(pets.id).select(cars.id).run()
    next(b for b in at.button if b.label == "Embed").click().run()

    assert not at.exception
    scatter = _figures(at)[0]
    assert scatter["layout"]["legend"]["title"]["text"] == "label"
    assert {trace["name"] for trace in scatter["data"]} == {"Pets", "Cars"}
    assert inputs_sent(server) == 4


def test_compare_two_texts_and_prepare_the_exports(server):
    at = _embed(_app())

    at.text_input(key=keys.COMPARE_FIRST).input("The cat sits outside.")
    at.text_input(key=keys.COMPARE_SECOND).input("The cat sits inside.")
    at.button(key="FormSubmitter:emb_compare_form-Compare").click().run()
    assert 0.3 < float(at.metric[0].value) < 1.0

    at.toggle(key=keys.EXPORT).set_value(True).run()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Points CSV", "Similarity matrix CSV (10 texts)"]
