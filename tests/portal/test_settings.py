"""Connection settings: endpoint kind detection, misconfiguration messages, and keys that never show."""

from __future__ import annotations

import pytest

from portal.inference.endpoints import COGNITIVE_SCOPE, ML_SCOPE, EndpointKind, detect_kind
from portal.settings import (
    AUTH_ENTRA,
    AUTH_KEY,
    AUTH_NONE,
    OFFLINE_CONNECTION,
    ConfigError,
    Connection,
    Secret,
    build_connection,
    describe_connection,
    load_settings,
    mask,
    offline_connection,
)

KEY = "sk-test-0123456789abcdefSECRETVALUE"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://my-hub.services.ai.azure.com/models", EndpointKind.FOUNDRY),
        ("https://my-hub.cognitiveservices.azure.com/models/", EndpointKind.FOUNDRY),
        ("https://my-hub.services.ai.azure.com", EndpointKind.FOUNDRY),
        ("https://my-aoai.openai.azure.com/openai/deployments/gpt-4o", EndpointKind.AZURE_OPENAI),
        ("https://my-aoai.openai.azure.com/openai/deployments/gpt-4o/", EndpointKind.AZURE_OPENAI),
        ("https://models.inference.ai.azure.com", EndpointKind.GITHUB_MODELS),
        ("https://models.github.ai/inference", EndpointKind.GITHUB_MODELS),
        ("https://Phi-4-xyz.eastus2.models.ai.azure.com", EndpointKind.SERVERLESS),
        ("https://my-endpoint.eastus2.inference.ml.azure.com/score", EndpointKind.MANAGED_COMPUTE),
        ("http://localhost:11434/v1", EndpointKind.OPENAI_COMPATIBLE),
        ("https://vllm.example.com/v1/", EndpointKind.OPENAI_COMPATIBLE),
        ("http://127.0.0.1:8000", EndpointKind.LOCAL),
        ("http://localhost:8000/", EndpointKind.LOCAL),
        ("http://devbox.local:8000", EndpointKind.LOCAL),
        ("https://example.com/score", EndpointKind.SERVERLESS),
    ],
)
def test_endpoint_kind_is_detected_from_the_url(url: str, kind: EndpointKind) -> None:
    assert detect_kind(url) == kind


def test_key_connection_is_built_with_the_detected_kind_and_its_traits() -> None:
    connection = build_connection(
        "aoai", {"endpoint": "https://my-aoai.openai.azure.com/openai/deployments/gpt-4o/", "api_key": KEY}
    )
    assert connection.endpoint == "https://my-aoai.openai.azure.com/openai/deployments/gpt-4o"
    assert connection.kind == EndpointKind.AZURE_OPENAI
    assert connection.auth == AUTH_KEY
    assert connection.api_key.reveal() == KEY
    assert connection.api_version == "2024-06-01"  # Azure OpenAI needs one; the default is filled in
    assert connection.traits.sends_model is False


def test_entra_connection_takes_the_scope_of_its_kind() -> None:
    foundry = build_connection(
        "hub", {"endpoint": "https://hub.services.ai.azure.com/models", "chat_models": "gpt-4o, Phi-4", "embeddings_model": "e5"}
    )
    assert foundry.auth == AUTH_ENTRA
    assert foundry.api_key is None
    assert foundry.traits.token_scope == COGNITIVE_SCOPE
    assert foundry.chat_model == "gpt-4o"
    assert foundry.model_choices() == ("gpt-4o", "Phi-4")
    serverless = build_connection("phi", {"endpoint": "https://phi.eastus2.models.ai.azure.com"})
    assert serverless.traits.token_scope == ML_SCOPE


def test_kind_can_be_overridden_and_auth_none_is_allowed_for_local_servers() -> None:
    connection = build_connection("local", {"endpoint": "http://127.0.0.1:9000/models", "kind": "local", "auth": "none"})
    assert connection.kind == EndpointKind.LOCAL
    assert connection.auth == AUTH_NONE
    assert connection.api_key is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"endpoint": ""}, "is not a URL"),
        ({"endpoint": "not a url", "api_key": KEY}, "'not a url' is not a URL"),
        ({"endpoint": "ftp://files.example.com/models", "api_key": KEY}, "is not a URL"),
        ({"endpoint": "https://", "api_key": KEY}, "is not a URL"),
        ({"endpoint": "http://my-endpoint.eastus2.inference.ml.azure.com/score"}, "Entra ID tokens are only sent over https"),
        ({"endpoint": "https://hub.services.ai.azure.com/models", "api_key": KEY}, "foundry endpoints need a model"),
        ({"endpoint": "https://models.github.ai/inference", "api_key": KEY}, "github_models endpoints need a model"),
        (
            {"endpoint": "https://aoai.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-06-01", "api_key": KEY},
            "remove the query string from the endpoint",
        ),
        ({"endpoint": "https://models.github.ai/inference", "chat_model": "gpt-4o"}, "github_models endpoints need api_key set to a GitHub personal access token"),
        ({"endpoint": "https://phi.eastus2.models.ai.azure.com", "auth": "key"}, "auth is 'key' but no api_key is set"),
        ({"endpoint": "https://phi.eastus2.models.ai.azure.com", "auth": "password"}, "auth must be 'key', 'entra' or 'none'"),
        ({"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": KEY, "kind": "mainframe"}, "kind 'mainframe' is unknown"),
    ],
    ids=[
        "empty",
        "not-a-url",
        "ftp",
        "no-host",
        "http-entra",
        "foundry-no-model",
        "github-no-model",
        "query-string",
        "github-entra",
        "key-missing",
        "auth-unknown",
        "kind-unknown",
    ],
)
def test_misconfiguration_says_what_to_fix(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="connection 'bad'") as refused:
        build_connection("bad", raw)
    assert message in str(refused.value)
    assert KEY not in str(refused.value)


def test_secret_never_shows_itself() -> None:
    secret = Secret(KEY)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % secret, format(secret)]  # noqa: UP031
    assert all(KEY not in text and "********" in text for text in shown)
    assert secret.reveal() == KEY
    assert secret == Secret(KEY) and secret != Secret("other")
    assert bool(secret) and not bool(Secret(""))


def test_connection_repr_and_str_never_contain_the_key() -> None:
    connection = build_connection("prod", {"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": KEY})
    for text in (repr(connection), str(connection), f"{connection}", repr([connection]), repr({"c": connection})):
        assert KEY not in text
        assert KEY[-8:] not in text
    assert "phi.eastus2.models.ai.azure.com" in repr(connection)


def test_loaded_settings_and_connection_description_never_contain_the_key() -> None:
    settings = load_settings(
        {"AZURE_INFERENCE_ENDPOINT": "https://phi.eastus2.models.ai.azure.com", "AZURE_INFERENCE_CREDENTIAL": KEY}, {}
    )
    assert KEY not in repr(settings) and KEY not in str(settings)
    description = describe_connection(settings.connections[0])
    assert KEY not in repr(description)
    assert description["Authentication"] == "API key " + mask(KEY)
    assert mask(KEY).endswith(KEY[-4:]) and KEY[:-4] not in mask(KEY)
    assert mask("short-key") == "••••"  # short keys show nothing at all
    assert mask(None) == "(none)"


def test_load_settings_defaults_to_the_offline_demo_without_an_endpoint() -> None:
    settings = load_settings({}, {})
    assert [c.name for c in settings.connections] == [OFFLINE_CONNECTION]
    assert settings.needs_offline_server
    assert settings.connections[0].offline and settings.connections[0].kind == EndpointKind.LOCAL


def test_load_settings_reads_the_environment_and_secrets_win() -> None:
    env = {
        "AZURE_INFERENCE_ENDPOINT": "https://phi.eastus2.models.ai.azure.com",
        "AZURE_INFERENCE_CREDENTIAL": KEY,
        "PORTAL_MAX_RATE_LIMIT_RETRIES": "1",
        "PORTAL_CONTEXT_BUDGET_TOKENS": "123",
    }
    secrets = {
        "PORTAL_CONTEXT_BUDGET_TOKENS": "456",
        "connections": {"hub": {"endpoint": "https://hub.services.ai.azure.com/models", "chat_model": "gpt-4o"}},
    }
    settings = load_settings(env, secrets)
    assert [c.name for c in settings.connections] == ["Default", "hub"]
    assert not settings.needs_offline_server  # "auto": no offline demo once something is configured
    assert settings.max_rate_limit_retries == 1
    assert settings.context_budget_tokens == 456
    assert settings.connection("hub").auth == AUTH_ENTRA
    assert settings.connection("missing").name == "Default"


def test_offline_demo_can_be_forced_or_refused() -> None:
    env = {"AZURE_INFERENCE_ENDPOINT": "https://phi.eastus2.models.ai.azure.com", "AZURE_INFERENCE_CREDENTIAL": KEY}
    both = load_settings({**env, "PORTAL_OFFLINE_DEMO": "always"}, {})
    assert [c.offline for c in both.connections] == [False, True]
    with pytest.raises(ConfigError, match="PORTAL_OFFLINE_DEMO is 'never'"):
        load_settings({"PORTAL_OFFLINE_DEMO": "never"}, {})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORTAL_CONTEXT_BUDGET_TOKENS", "8k", "PORTAL_CONTEXT_BUDGET_TOKENS must be a whole number of at least 1, not '8k'"),
        ("PORTAL_CONTEXT_BUDGET_TOKENS", "0", "PORTAL_CONTEXT_BUDGET_TOKENS must be a whole number of at least 1, not '0'"),
        ("PORTAL_MAX_RATE_LIMIT_RETRIES", "-1", "PORTAL_MAX_RATE_LIMIT_RETRIES must be a whole number of at least 0, not '-1'"),
        ("PORTAL_REQUEST_TIMEOUT_SECONDS", "nan", "PORTAL_REQUEST_TIMEOUT_SECONDS must be a number of at least 0.1, not 'nan'"),
        ("PORTAL_OFFLINE_WORDS_PER_SECOND", "fast", "PORTAL_OFFLINE_WORDS_PER_SECOND must be a number of at least 0, not 'fast'"),
        ("PORTAL_OFFLINE_DEMO", "sometimes", "PORTAL_OFFLINE_DEMO must be one of auto, always, never, not 'sometimes'"),
        ("PORTAL_TRACING", "bogus", "PORTAL_TRACING must be one of off, console, otlp, not 'bogus'"),
        ("PORTAL_TRACING_CONTENT", "maybe", "PORTAL_TRACING_CONTENT must be true or false, not 'maybe'"),
    ],
)
def test_a_bad_value_is_one_clear_message_when_the_settings_load(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value}, {})
    assert str(raised.value) == message


def test_numbers_from_secrets_toml_may_be_numbers() -> None:
    settings = load_settings({}, {"PORTAL_CONTEXT_BUDGET_TOKENS": 4000, "PORTAL_REQUEST_TIMEOUT_SECONDS": 30})
    assert (settings.context_budget_tokens, settings.request_timeout_seconds) == (4000, 30.0)


def test_offline_connection_is_local_without_auth() -> None:
    connection = offline_connection("http://127.0.0.1:1234")
    assert isinstance(connection, Connection)
    assert (connection.auth, connection.kind, connection.chat_model) == (AUTH_NONE, EndpointKind.LOCAL, "local-chat")
