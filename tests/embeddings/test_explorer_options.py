"""What the explorer sends for each option, which model it defaults to, and how the cache is keyed."""

from __future__ import annotations

import pytest

from portal.embedding_cache import model_key
from portal.embedding_explorer import CORPUS, QUERY, EmbeddingSpec, default_model, model_choices
from portal.settings import build_connection, load_settings, offline_connection, with_offline_endpoint


def test_input_types_follow_the_role_unless_told_otherwise():
    assert EmbeddingSpec().options(QUERY).input_type == "query"
    assert EmbeddingSpec().options(CORPUS).input_type == "document"
    assert EmbeddingSpec(input_types="text").options(QUERY).input_type == "text"
    assert EmbeddingSpec(input_types="none").options(QUERY).input_type is None


def test_dimensions_are_sent_unless_truncated_locally():
    assert EmbeddingSpec(dimensions=256).options().dimensions == 256
    assert EmbeddingSpec(dimensions=256, truncate_locally=True).options().dimensions is None
    assert EmbeddingSpec().options().encoding_format == "base64"
    with pytest.raises(ValueError):
        EmbeddingSpec(dimensions=0)
    with pytest.raises(ValueError):
        EmbeddingSpec(encoding_format="int8")


def test_the_offline_cache_key_survives_a_new_port_and_real_endpoints_key_on_the_url():
    assert model_key(offline_connection("http://127.0.0.1:1111"), "local-embed") == "offline#local-embed"
    assert model_key(offline_connection("http://127.0.0.1:2222"), "local-embed") == "offline#local-embed"
    azure = build_connection("azure", {"endpoint": "https://res.openai.azure.com/openai/deployments/emb", "api_key": "k"})
    assert model_key(azure, None) == "https://res.openai.azure.com/openai/deployments/emb#"


def test_served_models_join_the_offline_choices_and_the_semantic_one_is_preferred():
    settings = load_settings({})

    plain = with_offline_endpoint(settings, "http://127.0.0.1:9").connections[0]
    with_minilm = with_offline_endpoint(settings, "http://127.0.0.1:9", ("local-embed", "all-MiniLM-L6-v2")).connections[0]

    assert plain.embeddings_models == ("local-embed",) and default_model(plain) == "local-embed"
    assert with_minilm.embeddings_models == ("local-embed", "all-MiniLM-L6-v2")
    assert default_model(with_minilm) == "all-MiniLM-L6-v2"
    configured = build_connection(
        "c", {"endpoint": "https://x.services.ai.azure.com/models", "api_key": "k", "embeddings_model": "e5"}
    )
    assert model_choices(configured) == ("e5",) and default_model(configured) == "e5"
