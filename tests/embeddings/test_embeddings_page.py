"""The embeddings page through Streamlit's AppTest, against a real local server and a real SQLite file.

The connection points at a local server started for the test (so its request log counts exactly
this test's embeddings requests); `PORTAL_DATA_DIR` is a temporary directory, and the Streamlit
caches are fresh for each test (the `portal_app` fixture, tests/apptest.py).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.embedding_inputs import PARAPHRASE, SAMPLE_TEXTS, WORD_ORDER
from localserver import RunningServer
from portal.embedding_explorer import LEXICAL_OFFLINE_MODEL, SEMANTIC_OFFLINE_MODEL, EmbeddingExplorer, EmbeddingSpec
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import load_settings
from portal.text_inputs import from_pasted
from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.apptest import PortalApp, open_app
from tests.embeddings.support import embeddings_requests, inputs_sent, plotly_array

TEXTS = SAMPLE_TEXTS.split("\n")  # the page's own sample, as a new user first sees it
N = len(TEXTS)
LEXICAL_HEADLINE = "matches words, not meaning"


@pytest.fixture
def server(start_server, portal_app: PortalApp) -> RunningServer:
    """A local server of this test's own, the app's only connection (no offline demo)."""
    server = start_server()
    portal_app.endpoint(server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed").set(PORTAL_OFFLINE_DEMO="never")
    return server


@pytest.fixture
def offline_demo(portal_app: PortalApp) -> None:
    """The offline demo as `python3 dev.py app` starts it: nothing configured, the bundled server."""
    portal_app.set(PORTAL_OFFLINE_DEMO="always")


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

    assert at.success[0].value.startswith(f"Embedded {N} texts ({N} embedded, 0 from the cache")
    assert inputs_sent(server) == N
    scatter, heatmap = _figures(at)
    assert sorted(_scatter_points(scatter)) == sorted(TEXTS)
    assert {trace["type"] for trace in scatter["data"]} == {"scatter"}
    assert all(trace["name"].startswith("cluster ") for trace in scatter["data"])
    matrix = plotly_array(heatmap["data"][0]["z"])
    assert matrix.shape == (N, N) and np.allclose(np.diag(matrix), 1.0, atol=1e-5)
    assert f"Cosine similarity of all {N} texts, ordered by k-means cluster." in [c.value for c in at.caption]
    assert not [i for i in at.info if LEXICAL_HEADLINE in i.value]  # a configured endpoint, not the offline demo


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
    assert f"0 embedded, {N} from the cache; 0 requests" in again.success[0].value
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

    assert f"interrupted: 4 of {N} texts were embedded and kept" in at.warning[0].value
    assert f"{N - 4} of {N} texts have no vector yet" in at.info[0].value
    assert len(_scatter_points(_figures(at)[0])) == 4
    _embed(at)
    assert inputs_sent(server) == 4 + (N - 4)  # the resumed run sent only the missing ones


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


def test_compare_two_texts(server):
    at = _embed(_app())

    at.text_input(key=keys.COMPARE_FIRST).input("The cat sits outside.")
    at.text_input(key=keys.COMPARE_SECOND).input("The cat sits inside.")
    at.button(key="FormSubmitter:emb_compare_form-Compare").click().run()
    assert 0.3 < float(at.metric[0].value) < 1.0


def test_both_exports_are_there_as_soon_as_a_run_finishes(server):
    at = _embed(_app())

    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Points CSV", f"Similarity matrix CSV ({N} texts)"]
    assert not at.main.toggle  # nothing to switch on first


def test_a_finished_run_leaves_its_summary_and_no_live_controls(server):
    at = _embed(_app())

    assert at.success[0].value.startswith(f"Embedded {N} texts")
    assert not at.get("progress")
    assert "Cancel" not in [button.label for button in at.button]


def test_options_are_named_in_words_with_the_api_name_in_the_help(server):
    at = _app()
    sidebar = {node.key: node for node in at.sidebar if getattr(node, "key", None)}
    options = {
        "model": sidebar[keys.MODEL],
        "dimensions": sidebar[keys.DIMENSIONS],
        "input_type": sidebar[keys.INPUT_TYPE],
        "encoding_format": sidebar[keys.ENCODING],
        "input": sidebar[keys.BATCH_SIZE],
    }

    for api_name, widget in options.items():
        assert f"`{api_name}`" in widget.help, (api_name, widget.help)
        assert "_" not in widget.label and "/" not in widget.label and widget.label.lower() != api_name, widget.label
    assert [label for label in options["input_type"].options] == ["Query and document", "Same for all texts", "Not sent"]
    assert all(len(label) <= 20 for label in options["input_type"].options)  # never cut off in the sidebar


def test_the_cluster_count_sits_next_to_the_map_and_recolours_it(server):
    at = _embed(_app())
    assert not [node for node in at.sidebar if getattr(node, "key", None) == keys.CLUSTERS]
    nodes = list(at.main)
    position = {getattr(node, "key", None) or node.type: index for index, node in reversed(list(enumerate(nodes)))}
    # In the row of map controls: after the search box, before the map (the first chart).
    assert position[keys.QUERY] < position[keys.CLUSTERS] < position["emb_scatter"]
    assert [node.label for node in nodes if node.type == "number_input" and node.key == keys.CLUSTERS] == ["Clusters"]

    at.number_input(key=keys.CLUSTERS).set_value(3).run()

    scatter = _figures(at)[0]
    assert {trace["name"] for trace in scatter["data"]} == {"cluster 0", "cluster 1", "cluster 2"}
    words = {word for text in TEXTS for word in re.findall(r"[a-z]+", text.lower())}
    notes = [note["text"] for note in scatter["layout"]["annotations"]]
    assert len(notes) == 3 and all(set(note.split(", ")) <= words for note in notes)  # each cluster named by its words


def test_switching_the_text_source_clears_the_old_results(server):
    at = _embed(_app())
    assert len(_figures(at)) == 2

    at.radio(key=keys.SOURCE).set_value("Upload CSV or TXT").run()

    assert not _figures(at) and not at.get("download_button")
    assert "Choose texts and press **Embed** to see them on a map." in [i.value for i in at.info]
    at.radio(key=keys.SOURCE).set_value("Paste lines").run()
    assert not _figures(at)  # back to the same texts: still nothing until Embed


def _choose_model(at: AppTest, model: str) -> None:
    """The model widget is a list when the endpoint offers several (the extra adds MiniLM), else free text."""
    widget = next(node for node in at.sidebar if getattr(node, "key", None) == keys.MODEL)
    widget.set_value(model) if widget.type == "selectbox" else widget.input(model)
    at.run()


def test_the_offline_demo_says_local_embed_matches_words_above_the_results(offline_demo):
    at = _app()
    _choose_model(at, LEXICAL_OFFLINE_MODEL)

    _embed(at)

    notices = [i.value for i in at.info if LEXICAL_HEADLINE in i.value]
    assert len(notices) == 1
    assert "`python3 dev.py extra`" in notices[0] and SEMANTIC_OFFLINE_MODEL in notices[0]
    assert all(text in notices[0] for text in (*PARAPHRASE, *WORD_ORDER))  # the sample's own pairs
    nodes = list(at.main)
    notice = next(i for i, node in enumerate(nodes) if node.type == "info" and LEXICAL_HEADLINE in str(node.value))
    first_result = next(i for i, node in enumerate(nodes) if node.type == "success")
    assert notice < first_result < next(i for i, node in enumerate(nodes) if getattr(node, "key", None) == "emb_scatter")


def test_the_sample_pairs_show_what_a_lexical_model_gets_wrong(start_server, explorer_for):
    explorer = explorer_for(start_server())
    spec = EmbeddingSpec(model=LEXICAL_OFFLINE_MODEL)

    assert explorer.compare(*WORD_ORDER, spec) == pytest.approx(1.0, abs=1e-5)  # opposite meanings, same words
    assert explorer.compare(*PARAPHRASE, spec) < 0.2  # the same meaning, no word in common
    assert set(TEXTS) >= {*PARAPHRASE, *WORD_ORDER}


def test_hdbscan_finds_its_own_clusters_and_says_how_many(server):
    # Three tight groups for a lexical model: eight texts each, sharing all but one word.
    topics = ("football match goal team league", "bread dough yeast oven flour", "stock shares investors market bank")
    texts = [f"{topic} note{n}" for topic in topics for n in range(8)]
    at = _embed(_app(), texts)

    at.selectbox(key=keys.CLUSTERING).set_value("HDBSCAN").run()

    assert not at.exception and at.number_input(key=keys.CLUSTERS).disabled  # HDBSCAN finds its own number
    note = next(c.value for c in at.caption if "HDBSCAN found" in c.value)
    found = int(re.search(r"HDBSCAN found (\d+) clusters", note).group(1))
    names = {trace["name"] for trace in _figures(at)[0]["data"]}
    assert found >= 1 and names - {"unclustered"} == {f"cluster {c}" for c in range(found)}
    assert f"Cosine similarity of all {len(texts)} texts, ordered by HDBSCAN cluster." in [c.value for c in at.caption]


def test_the_chat_model_can_name_the_clusters_and_its_names_are_marked(server):
    at = _embed(_app())
    word_notes = [note["text"] for note in _figures(at)[0]["layout"]["annotations"]]
    chats_before = server.state.count("chat")

    next(b for b in at.button if b.label == "Name the clusters with the chat model").click().run()

    assert not at.exception
    clusters = {trace["name"] for trace in _figures(at)[0]["data"]}
    assert server.state.count("chat") - chats_before == len(clusters)  # one request per cluster
    notes = [note["text"] for note in _figures(at)[0]["layout"]["annotations"]]
    assert notes and all(note.endswith(" ✎") for note in notes)  # marked as written by the model
    assert any("Cluster names written by the chat model" in c.value and "model-written" in c.value for c in at.caption)

    next(b for b in at.button if b.label == "Use word-based names").click().run()
    assert [note["text"] for note in _figures(at)[0]["layout"]["annotations"]] == word_notes
