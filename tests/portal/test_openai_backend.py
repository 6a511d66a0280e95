"""The openai package backend against the local server: what it adds over the streaming tests that run
on both backends (tests/portal/test_reply_stream.py) — reasoning, per-model parameter adaptation,
model discovery, Entra ID bearer tokens, api-version, and Azure OpenAI deployment URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import httpx2
import openai
import pytest

from localserver import RunningServer, ServerConfig, start
from portal.inference import (
    CHAT_MODEL,
    EMBEDDINGS_MODEL,
    ChatMessage,
    ChatOptions,
    EmbeddingOptions,
    ErrorKind,
    InferenceError,
    ReasoningDelta,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    make_backend,
)
from portal.inference.credentials import AUTH_ENTRA
from portal.inference.endpoints import AI_AZURE_SCOPE, COGNITIVE_SCOPE
from portal.inference.openai_backend import USE_MAX_COMPLETION_TOKENS, _adaptation_for
from portal.model_catalog import CONFIGURED, DISCOVERED, model_choices
from portal.reply_stream import ReplyStream
from portal.settings import build_connection, offline_connection
from tests.conftest import TEST_API_KEY, endpoint_for
from tests.connections.conftest import FAKE_TOKEN, FakeCredentialFactory

QUESTION = [ChatMessage("user", "What is 6*7?")]


@pytest.fixture(scope="module")
def token_server() -> Iterator[RunningServer]:
    """A server whose key is the fake Entra token: a request gets through only with that bearer token."""
    server = start(config=ServerConfig(api_key=FAKE_TOKEN, words_per_second=0))
    yield server
    server.stop()


def _events(backend, options: ChatOptions, messages=QUESTION) -> tuple[str, str, StreamEnd]:
    events = list(backend.stream_chat(messages, options))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert isinstance(events[-1], StreamEnd)
    return text, reasoning, events[-1]


# -- reasoning ----------------------------------------------------------------------------------------


def test_reasoning_arrives_apart_from_the_answer_on_both_apis(local_server, api):
    """openai: `reasoning_content` deltas; azure-ai-inference: `<think>` in the content, split off."""
    backend = make_backend(offline_connection(local_server.url, api))
    options = ChatOptions(model="local-reasoner", reasoning_effort="low" if api == "openai" else None)
    text, reasoning, end = _events(backend, options)
    assert "Working it out, `6*7` gives 42." in reasoning
    assert "<think>" not in text + reasoning and "Working it out" not in text
    assert text.startswith('You said: "What is 6\\*7?"') and "`6*7` = 42" in text  # the echo escaped for Markdown
    assert end.finish_reason == "stop"
    if api == "openai":  # only the OpenAI API counts reasoning tokens apart
        assert end.usage.reasoning_tokens == 16
    reply = backend.complete_chat(QUESTION, options)
    assert "Working it out, `6*7` gives 42." in reply.reasoning and reply.content.startswith("You said:")
    backend.close()


# -- adapting to what an endpoint takes ----------------------------------------------------------------


def test_max_tokens_is_resent_as_max_completion_tokens_once_refused_and_remembered(local_server):
    # An OpenAI-compatible server (`/v1`): the backend starts with `max_tokens`, which reasoning models refuse.
    connection = build_connection("vllm", {"endpoint": local_server.url + "/v1", "auth": "none"})
    backend = make_backend(connection)
    before = local_server.state.count("chat")
    refused_before = local_server.state.count("chat", 400)
    text, reasoning, end = _events(backend, ChatOptions(model="local-reasoner", max_tokens=50))
    assert end.finish_reason == "length" and end.usage.completion_tokens == 50
    assert local_server.state.count("chat") - before == 2 and local_server.state.count("chat", 400) - refused_before == 1
    # Remembered for the model: the next call goes out right the first time.
    _events(backend, ChatOptions(model="local-reasoner", max_tokens=50))
    assert local_server.state.count("chat") - before == 3
    # local-chat still gets max_tokens (it was never refused for it).
    text, _, end = _events(backend, ChatOptions(model="local-chat", max_tokens=3))
    assert end.finish_reason == "length" and len(text.split()) == 3
    backend.close()


def test_foundry_v1_sends_max_completion_tokens_from_the_start(local_server):
    backend = make_backend(offline_connection(local_server.url, "openai"))
    before = local_server.state.count("chat")
    _, _, end = _events(backend, ChatOptions(model="local-reasoner", max_tokens=45))
    assert end.finish_reason == "length" and local_server.state.count("chat") - before == 1
    backend.close()


def _bad_request(body: dict) -> openai.BadRequestError:
    request = httpx2.Request("POST", "http://test/chat/completions")
    return openai.BadRequestError("refused", response=httpx2.Response(400, request=request), body=body)


def test_which_refusals_ask_for_which_retry():
    refused = {"message": "Unsupported parameter: 'max_tokens' is not supported with this model.", "param": "max_tokens"}
    assert _adaptation_for(_bad_request(refused), {"max_tokens": 5}) == USE_MAX_COMPLETION_TOKENS
    assert _adaptation_for(_bad_request({"message": "Unrecognized request argument supplied: max_completion_tokens"}), {"max_completion_tokens": 5}) == "max_tokens"
    assert _adaptation_for(_bad_request({"message": "stream_options is not supported"}), {"stream_options": {}}) == "no_stream_options"
    # A refusal of something the user chose is the user's to see, not retried.
    assert _adaptation_for(_bad_request({"message": "Invalid 'temperature'", "param": "temperature"}), {"max_tokens": 5, "temperature": 9}) is None


# -- discovery ----------------------------------------------------------------------------------------


def test_foundry_v1_lists_the_resources_deployments(local_server):
    backend = make_backend(build_connection("v1", {"endpoint": local_server.url + "/openai/v1", "auth": "none"}))
    listing = backend.list_models()
    assert listing.source == "deployments"
    assert {"local-chat", "local-reasoner"} <= set(listing.names(CHAT_MODEL))
    assert "local-embed" in listing.names(EMBEDDINGS_MODEL)
    last = local_server.state.requests[-1]
    assert last.path == "/openai/deployments" and last.query == "api-version=2023-03-15-preview"
    choices = model_choices(backend.connection, backend)
    assert choices.source == DISCOVERED and choices.default_chat == "local-chat" and choices.default_embeddings == "local-embed"


def test_openai_compatible_servers_list_their_models(local_server):
    backend = make_backend(build_connection("ollama", {"endpoint": local_server.url + "/v1", "auth": "none", "chat_model": "local-reasoner"}))
    choices = model_choices(backend.connection, backend)
    assert local_server.state.requests[-1].path == "/v1/models"
    assert choices.source == DISCOVERED and choices.chat[0] == "local-reasoner"  # the configured one first
    assert "local-chat" in choices.chat and "local-embed" in choices.embeddings


def test_configured_lists_win_over_the_listing(local_server):
    connection = build_connection(
        "v1", {"endpoint": local_server.url + "/openai/v1", "auth": "none", "chat_models": ["gpt-4o"], "embeddings_models": ["e5"]}
    )
    before = len(local_server.state.requests)
    choices = model_choices(connection, make_backend(connection))
    assert (choices.chat, choices.embeddings, choices.source) == (("gpt-4o",), ("e5",), CONFIGURED)
    assert len(local_server.state.requests) == before  # not even asked


@pytest.mark.parametrize(("where", "status"), [("wrong key", 401), ("no listing there", 404)])
def test_a_failed_listing_falls_back_to_the_configured_models_with_one_line(keyed_server, where, status):
    endpoint = keyed_server.url + ("/openai/v1" if status == 401 else "/somewhere/openai/v1")
    key = "wrong" if status == 401 else TEST_API_KEY
    connection = build_connection("v1", {"endpoint": endpoint, "api_key": key, "chat_model": "gpt-4o"})
    choices = model_choices(connection, make_backend(connection))
    assert choices.source == CONFIGURED and choices.chat == ("gpt-4o",)
    assert choices.note.startswith(f"The endpoint's deployments list could not be read (HTTP {status}), so the configured models are offered")
    assert "\n" not in choices.note


def test_the_azure_inference_api_cannot_list_and_says_so(local_server):
    backend = make_backend(offline_connection(local_server.url))
    assert backend.features().model_listing is None
    with pytest.raises(InferenceError) as raised:
        backend.list_models()
    assert raised.value.kind == ErrorKind.NOT_FOUND
    choices = model_choices(backend.connection, backend)
    assert choices.source == CONFIGURED and choices.note is None


def test_v1_has_no_info_or_load_client_and_says_why(local_server):
    backend = make_backend(offline_connection(local_server.url, "openai"))
    features = backend.features()
    assert not features.model_info and not features.client_type_detection and not features.embeddings_input_type
    for call in (backend.model_info, backend.detect_client_type):
        with pytest.raises(InferenceError) as raised:
            call()
        assert "retired on 2026-08-26" in raised.value.message


# -- credentials and api-version ----------------------------------------------------------------------


def _entra(server: RunningServer, **extra) -> object:
    """An Entra ID connection to the local server. build_connection refuses Entra ID over http (tested in
    tests/connections), so the https check is bypassed here to see the token on the wire."""
    connection = build_connection("entra", {"endpoint": "https://r.openai.azure.com/openai/v1", "auth": "entra", **extra})
    return replace(connection, endpoint=server.url + "/openai/v1")


@pytest.mark.parametrize(("configured", "scope"), [(None, COGNITIVE_SCOPE), (AI_AZURE_SCOPE, AI_AZURE_SCOPE)], ids=["default-scope", "ai-azure-scope"])
def test_entra_id_sends_a_bearer_token_for_the_scope(token_server, configured, scope):
    connection = _entra(token_server, **({"token_scope": configured} if configured else {}))
    assert connection.auth == AUTH_ENTRA and connection.api_key is None
    factory = FakeCredentialFactory()
    backend = make_backend(connection, token_credential_factory=factory)
    reply = backend.complete_chat(QUESTION, ChatOptions(model="local-chat"))
    assert reply.content  # the server only lets the fake token in
    assert factory.sync.scopes == [(scope,)]
    vectors = asyncio.run(backend.embed_async(["x"], EmbeddingOptions(model="local-embed")))
    assert vectors.vectors.shape == (1, 384)
    assert factory.async_.scopes == [(scope,)] and factory.calls == [False, True]
    backend.close()


def test_without_the_token_the_same_server_refuses(token_server):
    backend = make_backend(build_connection("k", {"endpoint": token_server.url + "/openai/v1", "api_key": "not-the-token"}))
    with pytest.raises(InferenceError) as raised:
        backend.complete_chat(QUESTION, ChatOptions(model="local-chat"))
    assert raised.value.kind == ErrorKind.AUTH and raised.value.status_code == 401


def test_api_version_goes_on_every_request_when_set(local_server):
    connection = build_connection("v1", {"endpoint": local_server.url + "/openai/v1", "auth": "none", "api_version": "preview"})
    backend = make_backend(connection)
    backend.complete_chat(QUESTION, ChatOptions(model="local-chat"))
    assert local_server.state.requests[-1].query == "api-version=preview"
    plain = make_backend(offline_connection(local_server.url, "openai"))
    plain.complete_chat(QUESTION, ChatOptions(model="local-chat"))
    assert local_server.state.requests[-1].query == ""


def test_an_azure_openai_deployment_url_through_the_openai_package(keyed_server, api):
    endpoint = keyed_server.url + "/openai/deployments/local-chat"
    connection = build_connection("aoai", {"endpoint": endpoint, "api_key": TEST_API_KEY, "api": api})
    backend = make_backend(connection)
    text, _, end = _events(backend, ChatOptions(max_tokens=4))
    assert end.finish_reason == "length" and len(text.split()) == 4
    last = keyed_server.state.requests[-1]
    assert last.path == "/openai/deployments/local-chat/chat/completions" and last.query == "api-version=2024-06-01"
    assert backend.features().embeddings_input_type is False  # Azure OpenAI refuses input_type


def test_a_missing_model_is_a_configuration_message(local_server):
    backend = make_backend(build_connection("v1", {"endpoint": local_server.url + "/openai/v1", "auth": "none"}))
    stream = ReplyStream(lambda: backend.stream_chat(QUESTION, ChatOptions()), on_finish=lambda outcome: None, max_retries=0)
    assert list(stream) == []
    assert stream.outcome.error.kind == ErrorKind.CONFIG
    assert stream.outcome.error.message == "Choose a model or deployment for connection 'v1' (chat_model in its settings, or the model picker)"


def test_keyed_requests_carry_the_azure_api_key_header_too(keyed_server):
    """Azure's v1 API takes `api-key` (and the package's Bearer); both carry the key."""
    connection = build_connection("v1", {"endpoint": endpoint_for(keyed_server, "openai"), "api_key": TEST_API_KEY})
    backend = make_backend(connection)
    assert backend._client.default_headers["api-key"] == TEST_API_KEY
    assert backend.complete_chat(QUESTION, ChatOptions(model="local-chat")).content


# -- the backend a connection gets --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "extra", "api"),
    [
        ("https://r.openai.azure.com/openai/v1", {}, "openai"),
        ("https://r.services.ai.azure.com/openai/v1", {}, "openai"),
        ("https://gateway.example.com/team/openai/v1", {}, "openai"),
        ("https://api.openai.com/v1", {}, "openai"),
        ("http://localhost:11434/v1", {}, "openai"),  # Ollama
        ("http://localhost:1234/v1", {}, "openai"),  # LM Studio
        ("https://r.services.ai.azure.com/models", {"chat_model": "gpt-4o"}, "azure-ai-inference"),
        ("https://m.eastus2.models.ai.azure.com", {}, "azure-ai-inference"),
        ("https://e.eastus.inference.ml.azure.com", {}, "azure-ai-inference"),
        ("https://r.openai.azure.com/openai/deployments/gpt-4o", {}, "azure-ai-inference"),
        ("https://models.github.ai/inference", {"chat_model": "openai/gpt-4o"}, "azure-ai-inference"),
        ("https://r.openai.azure.com/openai/deployments/gpt-4o", {"api": "openai"}, "openai"),
        ("https://m.eastus2.models.ai.azure.com", {"api": "openai"}, "openai"),
        ("https://r.openai.azure.com/openai/v1", {"api": "azure-ai-inference"}, "azure-ai-inference"),
    ],
)
def test_the_factory_picks_the_backend_by_kind_and_override(endpoint, extra, api):
    connection = build_connection("c", {"endpoint": endpoint, "api_key": "k", **extra})
    backend = make_backend(connection)
    assert connection.api == api and backend.features().api == api
    backend.close()


@pytest.mark.parametrize("wire", ["chat_completions", "responses"])
def test_parallel_tool_calls_and_images_through_the_openai_backend(local_server, wire):
    from tests.localserver.test_openai_sdk import CALCULATOR_TOOL, WEATHER_TOOL, red_png

    backend = make_backend(offline_connection(local_server.url, "openai", wire))
    events = list(backend.stream_chat([ChatMessage("user", "What is the weather in Paris and 12*7")], ChatOptions(tools=(WEATHER_TOOL, CALCULATOR_TOOL), tool_choice="auto")))
    calls: dict[int, dict] = {}
    for event in events:
        if isinstance(event, ToolCallDelta):
            call = calls.setdefault(event.index, {"id": None, "name": None, "arguments": ""})
            call["id"] = event.id or call["id"]
            call["name"] = event.name or call["name"]
            call["arguments"] += event.arguments
    assert [(c["name"], c["arguments"].replace(" ", "")) for _, c in sorted(calls.items())] == [
        ("get_weather", '{"city":"Paris"}'),
        ("calculator", '{"expression":"12*7"}'),
    ]
    assert all(c["id"].startswith("call_") for c in calls.values()) and events[-1].finish_reason == "tool_calls"
    image = ChatMessage("user", "What is this?", parts=({"type": "image_url", "image_url": {"url": red_png(), "detail": "low"}},))
    text, _, _ = _events(backend, ChatOptions(model="local-chat"), [image])
    assert "You attached a 4x4 PNG image, mostly red" in text
    backend.close()
