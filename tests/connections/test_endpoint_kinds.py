"""Endpoint kinds: URL detection, the credential/scope decision per kind, what goes on the wire,
and the configuration errors a person gets for a misconfigured connection.

Real SDK and azure-core pipeline; only token acquisition is faked (FakeTokenCredential). Requests
that must carry a token go to an https URL on a closed local port: the token is acquired (and its
scope recorded) before the connection is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from portal.inference import ChatMessage, ChatOptions, EmbeddingOptions, ErrorKind, InferenceError
from portal.inference.azure_backend import AzureInferenceBackend, client_auth
from portal.inference.endpoints import AZURE_OPENAI_API_VERSION, COGNITIVE_SCOPE, ML_SCOPE, EndpointKind, detect_kind, traits_for
from portal.settings import (
    AUTH_ENTRA,
    AUTH_KEY,
    AUTH_NONE,
    ConfigError,
    Connection,
    Secret,
    build_connection,
    describe_connection,
    load_settings,
)
from tests.conftest import TEST_API_KEY
from tests.connections.conftest import FAKE_TOKEN, FakeTokenCredential, closed_port

HELLO = [ChatMessage(role="user", content="Say hello")]

# One example URL per kind, as a user would paste it (README "Configuration").
EXAMPLES = {
    EndpointKind.FOUNDRY_V1: "https://r.openai.azure.com/openai/v1",
    EndpointKind.OPENAI: "https://api.openai.com/v1",
    EndpointKind.FOUNDRY: "https://r.services.ai.azure.com/models",
    EndpointKind.SERVERLESS: "https://m.eastus2.models.ai.azure.com",
    EndpointKind.MANAGED_COMPUTE: "https://e.eastus.inference.ml.azure.com",
    EndpointKind.AZURE_OPENAI: "https://r.openai.azure.com/openai/deployments/gpt-4o",
    EndpointKind.GITHUB_MODELS: "https://models.inference.ai.azure.com",
    EndpointKind.OPENAI_COMPATIBLE: "http://localhost:11434/v1",
    EndpointKind.LOCAL: "http://127.0.0.1:8000",
}
ENTRA_SCOPES = {
    EndpointKind.FOUNDRY_V1: COGNITIVE_SCOPE,
    EndpointKind.FOUNDRY: COGNITIVE_SCOPE,
    EndpointKind.AZURE_OPENAI: COGNITIVE_SCOPE,
    EndpointKind.SERVERLESS: ML_SCOPE,
    EndpointKind.MANAGED_COMPUTE: ML_SCOPE,
}
NO_ENTRA = (EndpointKind.OPENAI, EndpointKind.GITHUB_MODELS, EndpointKind.OPENAI_COMPATIBLE, EndpointKind.LOCAL)
ALL_KINDS = list(EndpointKind)


def _connection(kind: EndpointKind, auth: str, **extra) -> Connection:
    raw = {"endpoint": EXAMPLES[kind], "auth": auth, "chat_model": "some-model", **extra}
    if auth == AUTH_KEY:
        raw["api_key"] = "0123456789abcdef-example-key"
    return build_connection(f"{kind.value}-{auth}", raw)


def _observing_client(connection: Connection, factory, seen: list[dict[str, str]]) -> ChatCompletionsClient:
    """A raw SDK client with exactly the credential and kwargs the app would use, recording the
    headers of every request right before it goes on the wire (after the auth policy ran)."""
    credential, kwargs = client_auth(connection, factory)

    def hook(request) -> None:
        seen.append(dict(request.http_request.headers))

    return ChatCompletionsClient(
        connection.endpoint, credential, raw_request_hook=hook, retry_total=0, connection_timeout=5, **kwargs
    )


# -- detection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://r.services.ai.azure.com/models", EndpointKind.FOUNDRY),
        ("https://r.services.ai.azure.com/models/", EndpointKind.FOUNDRY),
        ("https://r.cognitiveservices.azure.com/models", EndpointKind.FOUNDRY),
        ("https://R.Services.AI.Azure.com/Models", EndpointKind.FOUNDRY),
        ("https://m.eastus2.models.ai.azure.com", EndpointKind.SERVERLESS),
        ("https://m.eastus2.models.ai.azure.com/", EndpointKind.SERVERLESS),
        # What the SDK's README documents for managed compute (the SDK appends /chat/completions).
        ("https://e.eastus.inference.ml.azure.com", EndpointKind.MANAGED_COMPUTE),
        # The scoring URI the Azure ML studio shows: still managed compute by its host (see report).
        ("https://e.eastus.inference.ml.azure.com/score", EndpointKind.MANAGED_COMPUTE),
        ("https://r.openai.azure.com/openai/deployments/gpt-4o", EndpointKind.AZURE_OPENAI),
        ("https://r.openai.azure.com/openai/deployments/gpt-4o/", EndpointKind.AZURE_OPENAI),
        ("https://models.inference.ai.azure.com", EndpointKind.GITHUB_MODELS),
        ("https://models.github.ai/inference", EndpointKind.GITHUB_MODELS),
        ("http://localhost:11434/v1", EndpointKind.OPENAI_COMPATIBLE),
        ("http://127.0.0.1:8000", EndpointKind.LOCAL),
        ("http://localhost:8000", EndpointKind.LOCAL),
        # The local server's endpoint styles are detected like the Azure ones they imitate.
        ("http://127.0.0.1:8000/serverless/local-chat", EndpointKind.LOCAL),
        ("http://127.0.0.1:8000/models", EndpointKind.FOUNDRY),
        ("http://127.0.0.1:8000/openai/deployments/local-chat", EndpointKind.AZURE_OPENAI),
    ],
)
def test_detect_kind(url, kind):
    assert detect_kind(url) == kind


def test_every_kind_has_an_example_that_detects_as_itself():
    assert set(EXAMPLES) == set(EndpointKind)
    for kind, url in EXAMPLES.items():
        assert detect_kind(url) == kind, url


def test_traits_per_kind():
    assert {k: traits_for(k).token_scope for k in EndpointKind} == {**ENTRA_SCOPES, **{k: None for k in NO_ENTRA}}
    # /info only where the endpoint serves one model (and the local server).
    assert {k for k in EndpointKind if traits_for(k).has_info} == {
        EndpointKind.SERVERLESS,
        EndpointKind.MANAGED_COMPUTE,
        EndpointKind.LOCAL,
    }
    # `model` in the body where one URL serves many models.
    assert {k for k in EndpointKind if traits_for(k).sends_model} == {
        EndpointKind.FOUNDRY_V1,
        EndpointKind.OPENAI,
        EndpointKind.FOUNDRY,
        EndpointKind.GITHUB_MODELS,
        EndpointKind.OPENAI_COMPATIBLE,
        EndpointKind.LOCAL,
    }
    assert traits_for(EndpointKind.AZURE_OPENAI).default_api_version == AZURE_OPENAI_API_VERSION


# -- the credential decision ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_key_auth_is_an_azure_key_credential_for_every_kind(kind, credential_factory):
    connection = _connection(kind, AUTH_KEY)
    credential, kwargs = client_auth(connection, credential_factory)
    assert isinstance(credential, AzureKeyCredential)
    assert credential.key == "0123456789abcdef-example-key"
    assert kwargs == {}
    assert credential_factory.calls == []  # no token credential is even created


@pytest.mark.parametrize("kind", list(ENTRA_SCOPES), ids=lambda k: k.value)
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_entra_auth_uses_the_factory_with_the_kind_scope(kind, is_async, credential_factory):
    connection = _connection(kind, AUTH_ENTRA)
    credential, kwargs = client_auth(connection, credential_factory, is_async=is_async)
    assert credential is (credential_factory.async_ if is_async else credential_factory.sync)
    assert credential_factory.calls == [is_async]
    assert kwargs == {"credential_scopes": [ENTRA_SCOPES[kind]]}


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_no_auth_sends_an_empty_credential(kind, credential_factory):
    connection = _connection(kind, AUTH_NONE)
    assert client_auth(connection, credential_factory) == ("", {})
    assert credential_factory.calls == []


@pytest.mark.parametrize("kind", NO_ENTRA, ids=lambda k: k.value)
def test_entra_is_refused_where_the_kind_has_no_token_scope(kind, credential_factory):
    with pytest.raises(ConfigError, match="do not accept Entra ID; set api_key"):
        build_connection("x", {"endpoint": EXAMPLES[kind].replace("http://", "https://"), "auth": "entra", "chat_model": "m"})
    # Defence in depth: a Connection built by hand gets the same answer from client_auth.
    connection = Connection(name="x", endpoint="https://example.test", auth=AUTH_ENTRA, kind=kind)
    with pytest.raises(InferenceError) as raised:
        client_auth(connection, credential_factory)
    assert raised.value.kind == ErrorKind.CONFIG
    assert credential_factory.calls == []


def test_auth_defaults_to_key_with_a_key_and_to_entra_without(credential_factory):
    with_key = build_connection("k", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "api_key": "abc"})
    assert with_key.auth == AUTH_KEY
    legacy_name = build_connection("k", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "credential": "abc"})
    assert legacy_name.auth == AUTH_KEY and legacy_name.api_key == Secret("abc")
    without = build_connection("e", {"endpoint": EXAMPLES[EndpointKind.MANAGED_COMPUTE]})
    assert without.auth == AUTH_ENTRA and without.api_key is None
    # An explicit auth wins over the presence of a key, and the key is then dropped.
    forced = build_connection("n", {"endpoint": "http://127.0.0.1:8000", "api_key": "abc", "auth": "none"})
    assert forced.auth == AUTH_NONE and forced.api_key is None


# -- on the wire --------------------------------------------------------------------------------------


def test_no_auth_sends_no_authorization_header(local_server, keyed_server, credential_factory):
    for server, expect_ok in ((local_server, True), (keyed_server, False)):
        connection = build_connection("none", {"endpoint": server.url, "auth": "none"})
        seen: list[dict[str, str]] = []
        with _observing_client(connection, credential_factory, seen) as client:
            if expect_ok:
                result = client.complete(messages=[{"role": "user", "content": "hi"}])
                assert result.choices[0].message.content
            else:
                with pytest.raises(ClientAuthenticationError) as raised:
                    client.complete(messages=[{"role": "user", "content": "hi"}])
                assert raised.value.status_code == 401
        assert len(seen) == 1
        headers = {k.lower() for k in seen[0]}
        assert "authorization" not in headers and "api-key" not in headers
    # The same through the app's backend: 200 without a key, 401 (AUTH) where a key is required.
    assert (
        AzureInferenceBackend(build_connection("a", {"endpoint": local_server.url, "auth": "none"}))
        .complete_chat(HELLO, ChatOptions())
        .content
    )
    with pytest.raises(InferenceError) as raised:
        AzureInferenceBackend(build_connection("b", {"endpoint": keyed_server.url, "auth": "none"})).complete_chat(
            HELLO, ChatOptions()
        )
    assert raised.value.kind == ErrorKind.AUTH and raised.value.status_code == 401
    assert credential_factory.calls == []


def test_key_auth_sends_bearer_and_api_key_headers(keyed_server, credential_factory):
    connection = build_connection("key", {"endpoint": keyed_server.endpoint("serverless", "local-chat"), "api_key": TEST_API_KEY})
    seen: list[dict[str, str]] = []
    with _observing_client(connection, credential_factory, seen) as client:
        assert client.complete(messages=[{"role": "user", "content": "hi"}]).choices[0].message.content
    headers = {k.lower(): v for k, v in seen[0].items()}
    assert headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert headers["api-key"] == TEST_API_KEY
    wrong = build_connection("wrong", {"endpoint": keyed_server.url, "api_key": "not-the-key"})
    with pytest.raises(InferenceError) as raised:
        AzureInferenceBackend(wrong).complete_chat(HELLO, ChatOptions())
    assert raised.value.kind == ErrorKind.AUTH
    assert "refused the credentials" in raised.value.user_message()


@pytest.mark.parametrize(
    "endpoint, kind_override, scope",
    [
        ("https://127.0.0.1:{port}/models", None, COGNITIVE_SCOPE),  # Foundry, detected by the path
        ("https://127.0.0.1:{port}/openai/deployments/gpt-4o", None, COGNITIVE_SCOPE),
        ("https://127.0.0.1:{port}", "serverless", ML_SCOPE),  # kind override: detection says local
        ("https://127.0.0.1:{port}", "managed_compute", ML_SCOPE),
    ],
    ids=["foundry", "azure_openai", "serverless", "managed_compute"],
)
def test_entra_backend_asks_for_the_kind_scope_and_sends_the_token(endpoint, kind_override, scope, credential_factory):
    raw = {"endpoint": endpoint.format(port=closed_port()), "auth": "entra", "chat_model": "gpt-4o", "embeddings_model": "emb"}
    if kind_override:
        raw["kind"] = kind_override
    connection = build_connection("entra", raw)
    backend = AzureInferenceBackend(connection, token_credential_factory=credential_factory)
    with pytest.raises(InferenceError) as raised:
        backend.complete_chat(HELLO, ChatOptions())
    assert raised.value.kind == ErrorKind.CONNECTION  # refused after the token was acquired
    assert credential_factory.sync.scopes == [(scope,)]
    with pytest.raises(InferenceError):
        backend.embed(["x"], EmbeddingOptions())
    assert credential_factory.sync.scopes[-1] == (scope,)
    with pytest.raises(InferenceError):
        asyncio.run(backend.embed_async(["x"], EmbeddingOptions()))
    assert credential_factory.async_.scopes == [(scope,)]
    assert credential_factory.calls == [False, True]

    # And the token is what goes in the Authorization header (no api-key header).
    seen: list[dict[str, str]] = []
    with _observing_client(connection, credential_factory, seen) as client, pytest.raises(ServiceRequestError):
        client.complete(messages=[{"role": "user", "content": "hi"}])
    headers = {k.lower(): v for k, v in seen[0].items()}
    assert headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "api-key" not in headers


def test_tokens_are_never_sent_over_http(local_server, credential_factory):
    # build_connection refuses the combination with a message that says what to do ...
    with pytest.raises(ConfigError) as raised:
        build_connection("plain", {"endpoint": local_server.endpoint("models"), "auth": "entra", "chat_model": "local-chat"})
    assert str(raised.value) == (
        f'[connections.plain] endpoint: "{local_server.endpoint("models")}" is http, and Entra ID tokens are only sent over https; '
        'use an https endpoint, set api_key, or auth = "none" for a local server without authentication'
    )
    # ... and azure-core itself refuses, before asking for a token and before sending anything.
    connection = Connection(name="plain", endpoint=local_server.url, auth=AUTH_ENTRA, kind=EndpointKind.SERVERLESS)
    before = len(local_server.state.requests)
    with pytest.raises(InferenceError) as mapped:
        AzureInferenceBackend(connection, token_credential_factory=credential_factory).complete_chat(HELLO, ChatOptions())
    assert mapped.value.kind == ErrorKind.CONNECTION
    assert "not permitted for non-TLS protected (non-https) URLs" in mapped.value.message
    credential = FakeTokenCredential()
    client = ChatCompletionsClient(local_server.url, credential, credential_scopes=[ML_SCOPE], retry_total=0)
    with pytest.raises(ServiceRequestError, match="non-TLS"):
        client.complete(messages=[{"role": "user", "content": "hi"}])
    assert credential.scopes == [] and credential_factory.sync.scopes == []
    assert len(local_server.state.requests) == before


# -- configuration errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, message",
    [
        ({}, '[connections.c] endpoint: "" is not a URL (for example https://<resource>.services.ai.azure.com/models)'),
        ({"endpoint": "r.services.ai.azure.com/models"}, 'endpoint: "r.services.ai.azure.com/models" is not a URL'),
        ({"endpoint": "ftp://r.services.ai.azure.com/models"}, "is not a URL"),
        ({"endpoint": "https:///models"}, "is not a URL"),
        (
            {"endpoint": "https://r.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-06-01", "api_key": "k"},
            '[connections.c] endpoint: "https://r.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-06-01" has a query string; '
            "remove it and set the api-version as its own setting (the SDK adds the query)",
        ),
        (
            {"endpoint": "https://r.services.ai.azure.com/models", "api_key": "k"},
            "[connections.c] chat_model: not set; foundry endpoints need a model: set chat_model (and embeddings_model) to a deployment name",
        ),
        (
            {"endpoint": "https://models.github.ai/inference", "api_key": "k"},
            "chat_model: not set; github_models endpoints need a model",
        ),
        (
            {"endpoint": "https://r.openai.azure.com/openai/v1", "api_key": "k", "api_version": "2024-05-01-preview"},
            '[connections.c] api_version: "2024-05-01-preview" is not v1 or preview; the OpenAI v1 API takes those or none',
        ),
        (
            {"endpoint": "https://r.openai.azure.com/openai/v1", "api_key": "k", "api": "azure"},
            '[connections.c] api: "azure" is not openai or azure-ai-inference',
        ),
        (
            {"endpoint": "https://r.openai.azure.com/openai/v1", "auth": "entra", "token_scope": "cognitiveservices"},
            '[connections.c] token_scope: "cognitiveservices" is not a scope URL',
        ),
        (
            {"endpoint": "https://m.eastus2.models.ai.azure.com", "auth": "key"},
            '[connections.c] api_key: not set, but auth is "key"',
        ),
        (
            {"endpoint": "https://m.eastus2.models.ai.azure.com", "auth": "key", "api_key": ""},
            '[connections.c] api_key: not set, but auth is "key"',
        ),
        (
            {"endpoint": "https://m.eastus2.models.ai.azure.com", "auth": "token"},
            '[connections.c] auth: "token" is not key, entra or none',
        ),
        (
            {"endpoint": "https://m.eastus2.models.ai.azure.com", "kind": "azure", "api_key": "k"},
            '[connections.c] kind: "azure" is not one of foundry_v1, openai, openai_compatible, foundry, serverless, '
            "managed_compute, azure_openai, github_models, local",
        ),
        (
            {"endpoint": "https://models.github.ai/inference", "chat_model": "openai/gpt-4o"},
            "[connections.c] api_key: not set; github_models endpoints need a GitHub personal access token",
        ),
    ],
)
def test_misconfiguration_messages(raw, message):
    with pytest.raises(ConfigError) as raised:
        build_connection("c", raw)
    assert message in str(raised.value)
    assert len(raised.value.lines) == 1


def test_model_requirement_is_met_by_either_model_or_a_model_list():
    foundry = EXAMPLES[EndpointKind.FOUNDRY]
    assert build_connection("c", {"endpoint": foundry, "api_key": "k", "model": "gpt-4o"}).chat_model == "gpt-4o"
    only_embeddings = build_connection("c", {"endpoint": foundry, "api_key": "k", "embeddings_model": "text-embedding-3-small"})
    assert only_embeddings.chat_model is None and only_embeddings.embeddings_model == "text-embedding-3-small"
    listed = build_connection(
        "c", {"endpoint": foundry, "api_key": "k", "chat_models": "gpt-4o, Phi-4 ,", "embeddings_models": ["e1", "e2"]}
    )
    assert listed.chat_model == "gpt-4o" and listed.chat_models == ("gpt-4o", "Phi-4")
    assert listed.embeddings_model == "e1" and listed.embeddings_models == ("e1", "e2")


def test_load_settings_names_the_broken_connection():
    secrets = {"connections": {"good": {"endpoint": "http://127.0.0.1:8000", "auth": "none"}, "broken": {"endpoint": "nope"}}}
    with pytest.raises(ConfigError) as broken:
        load_settings(env={}, secrets=secrets)
    assert broken.value.lines == (
        '[connections.broken] endpoint: "nope" is not a URL (for example https://<resource>.services.ai.azure.com/models)',
    )
    with pytest.raises(ConfigError) as default:
        load_settings(env={"AZURE_INFERENCE_ENDPOINT": "https://m.eastus2.models.ai.azure.com", "AZURE_INFERENCE_AUTH": "key"})
    assert default.value.lines == ('AZURE_INFERENCE_CREDENTIAL: not set, but AZURE_INFERENCE_AUTH is "key"',)


def test_kind_override_wins_over_detection():
    # The local server's /models route imitates Foundry; declared serverless it is serverless.
    overridden = build_connection("c", {"endpoint": "http://127.0.0.1:8000/models", "kind": "serverless", "auth": "none"})
    assert detect_kind(overridden.endpoint) == EndpointKind.FOUNDRY
    assert overridden.kind == EndpointKind.SERVERLESS and not overridden.traits.sends_model
    # A serverless-looking host declared managed compute.
    managed = build_connection("c", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "kind": "managed_compute", "api_key": "k"})
    assert managed.kind == EndpointKind.MANAGED_COMPUTE
    # A vLLM server on a plain host declared OpenAI-compatible: now the openai package speaks to it.
    vllm = build_connection("c", {"endpoint": "http://127.0.0.1:8000", "kind": "openai_compatible", "auth": "none"})
    assert vllm.kind == EndpointKind.OPENAI_COMPATIBLE and vllm.api == "openai"
    # The same override through the environment.
    settings = load_settings(
        env={
            "AZURE_INFERENCE_ENDPOINT": "http://127.0.0.1:8000/models",
            "AZURE_INFERENCE_KIND": "serverless",
            "AZURE_INFERENCE_AUTH": "none",
        }
    )
    assert settings.connections[0].kind == EndpointKind.SERVERLESS


def test_api_version_defaults_per_kind_and_can_be_overridden():
    aoai = EXAMPLES[EndpointKind.AZURE_OPENAI]
    assert build_connection("c", {"endpoint": aoai, "api_key": "k"}).api_version == AZURE_OPENAI_API_VERSION
    assert build_connection("c", {"endpoint": aoai, "api_key": "k", "api_version": "2024-10-21"}).api_version == "2024-10-21"
    assert build_connection("c", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "api_key": "k"}).api_version is None


# -- secrets never show -------------------------------------------------------------------------------

KEY = "sk-very-secret-0123456789-WXYZ"


def test_api_key_never_shows_in_repr_str_or_description():
    env = {"AZURE_INFERENCE_ENDPOINT": EXAMPLES[EndpointKind.SERVERLESS], "AZURE_INFERENCE_CREDENTIAL": KEY}
    secrets = {"connections": {"foundry": {"endpoint": EXAMPLES[EndpointKind.FOUNDRY], "api_key": KEY, "chat_model": "gpt-4o"}}}
    settings = load_settings(env=env, secrets=secrets)
    assert [c.auth for c in settings.connections] == [AUTH_KEY, AUTH_KEY]
    for connection in settings.connections:
        assert connection.api_key.reveal() == KEY
        assert KEY not in repr(connection) and KEY not in str(connection)
        description = describe_connection(connection)
        assert KEY not in json.dumps(description, ensure_ascii=False)
        assert description["Authentication"] == "API key ••••WXYZ"  # the last four characters only
    for text in (repr(settings), str(settings), repr(settings.connections), f"{settings}"):
        assert KEY not in text
    secret = Secret(KEY)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret)):
        assert text == "Secret('********')"
    with pytest.raises(TypeError):
        json.dumps({"key": secret})


def test_api_key_never_shows_in_logs(caplog):
    connection = build_connection("logged", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "api_key": KEY})
    with caplog.at_level(logging.INFO):
        logging.getLogger("portal.test").info("connection %s, key %s, settings %r", connection, connection.api_key, connection)
    assert caplog.records and KEY not in caplog.text


def test_short_keys_are_masked_completely():
    connection = build_connection("c", {"endpoint": EXAMPLES[EndpointKind.SERVERLESS], "api_key": "short-key"})
    assert describe_connection(connection)["Authentication"] == "API key ••••"


def test_description_of_entra_and_none_connections():
    entra = describe_connection(build_connection("c", {"endpoint": EXAMPLES[EndpointKind.FOUNDRY], "chat_model": "gpt-4o"}))
    assert entra["Authentication"] == f"Entra ID (DefaultAzureCredential, scope {COGNITIVE_SCOPE})"
    assert entra["GET /info"] == "not supported" and entra["Sends `model` in the body"] == "yes"
    none = describe_connection(build_connection("c", {"endpoint": "http://127.0.0.1:8000", "auth": "none"}))
    assert none["Authentication"] == "none" and none["GET /info"] == "supported"
