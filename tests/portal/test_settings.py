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
    ("raw", "line"),
    [
        ({"endpoint": ""}, 'endpoint: "" is not a URL (for example https://<resource>.services.ai.azure.com/models)'),
        ({"endpoint": "not a url", "api_key": KEY}, 'endpoint: "not a url" is not a URL'),
        (
            {"endpoint": "ftp://files.example.com/models", "api_key": KEY},
            'endpoint: "ftp://files.example.com/models" is not a URL',
        ),
        ({"endpoint": "https://", "api_key": KEY}, 'endpoint: "https://" is not a URL'),
        (
            {"endpoint": "http://my-endpoint.eastus2.inference.ml.azure.com/score"},
            'endpoint: "http://my-endpoint.eastus2.inference.ml.azure.com/score" is http, and Entra ID tokens are only sent over https',
        ),
        (
            {"endpoint": "https://hub.services.ai.azure.com/models", "api_key": KEY},
            "chat_model: not set; foundry endpoints need a model",
        ),
        (
            {"endpoint": "https://models.github.ai/inference", "api_key": KEY},
            "chat_model: not set; github_models endpoints need a model",
        ),
        (
            {"endpoint": "https://aoai.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-06-01", "api_key": KEY},
            'endpoint: "https://aoai.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-06-01" has a query string; remove it',
        ),
        (
            {"endpoint": "https://models.github.ai/inference", "chat_model": "gpt-4o"},
            "api_key: not set; github_models endpoints need a GitHub personal access token",
        ),
        ({"endpoint": "https://phi.eastus2.models.ai.azure.com", "auth": "key"}, 'api_key: not set, but auth is "key"'),
        (
            {"endpoint": "https://phi.eastus2.models.ai.azure.com", "auth": "password"},
            'auth: "password" is not key, entra or none',
        ),
        (
            {"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": KEY, "kind": "mainframe"},
            'kind: "mainframe" is not one of foundry_v1,',
        ),
        (
            {"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": KEY, "store": "maybe"},
            'store: "maybe" is not true or false',
        ),
        (
            {"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": KEY, "wire": "sse"},
            'wire: "sse" is not chat_completions or responses',
        ),
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
        "store-not-a-flag",
        "wire-unknown",
    ],
)
def test_misconfiguration_is_one_line_naming_the_table_and_field(raw: dict, line: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_connection("bad", raw)
    assert refused.value.lines == (str(refused.value),)  # exactly one line
    assert str(refused.value).startswith("[connections.bad] " + line)
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
    with pytest.raises(ConfigError) as refused:
        load_settings({"PORTAL_OFFLINE_DEMO": "never"}, {})
    assert refused.value.lines == (
        'PORTAL_OFFLINE_DEMO: "never", but no connection is configured; '
        "set AZURE_INFERENCE_ENDPOINT or add [connections.<name>] to secrets.toml",
    )


BAD_VALUES = [
    (
        "PORTAL_CONTEXT_BUDGET_TOKENS",
        "8k",
        'PORTAL_CONTEXT_BUDGET_TOKENS: "8k" is not a whole number of at least 1 (for example 8000)',
    ),
    (
        "PORTAL_CONTEXT_BUDGET_TOKENS",
        "0",
        'PORTAL_CONTEXT_BUDGET_TOKENS: "0" is not a whole number of at least 1 (for example 8000)',
    ),
    (
        "PORTAL_CONTEXT_BUDGET_TOKENS",
        "",
        'PORTAL_CONTEXT_BUDGET_TOKENS: "" is not a whole number of at least 1 (for example 8000)',
    ),
    (
        "PORTAL_CONTEXT_BUDGET_TOKENS",
        "8000.5",
        'PORTAL_CONTEXT_BUDGET_TOKENS: "8000.5" is not a whole number of at least 1 (for example 8000)',
    ),
    (
        "PORTAL_MAX_RATE_LIMIT_RETRIES",
        "-1",
        'PORTAL_MAX_RATE_LIMIT_RETRIES: "-1" is not a whole number of at least 0 (for example 3)',
    ),
    (
        "PORTAL_REQUEST_TIMEOUT_SECONDS",
        "nan",
        'PORTAL_REQUEST_TIMEOUT_SECONDS: "nan" is not a number of seconds of at least 0.1 (for example 120)',
    ),
    (
        "PORTAL_REQUEST_TIMEOUT_SECONDS",
        "inf",
        'PORTAL_REQUEST_TIMEOUT_SECONDS: "inf" is not a number of seconds of at least 0.1 (for example 120)',
    ),
    (
        "PORTAL_REQUEST_TIMEOUT_SECONDS",
        "0.05",
        'PORTAL_REQUEST_TIMEOUT_SECONDS: "0.05" is not a number of seconds of at least 0.1 (for example 120)',
    ),
    (
        "PORTAL_OFFLINE_WORDS_PER_SECOND",
        "fast",
        'PORTAL_OFFLINE_WORDS_PER_SECOND: "fast" is not a number of at least 0 (for example 40)',
    ),
    ("PORTAL_OFFLINE_DEMO", "sometimes", 'PORTAL_OFFLINE_DEMO: "sometimes" is not one of auto, always, never'),
    ("PORTAL_OFFLINE_DEMO", "", 'PORTAL_OFFLINE_DEMO: "" is not one of auto, always, never'),
    ("PORTAL_OFFLINE_API", "azure-openai", 'PORTAL_OFFLINE_API: "azure-openai" is not azure-ai-inference or openai'),
    ("PORTAL_OFFLINE_WIRE", "responses", 'PORTAL_OFFLINE_WIRE: "responses" needs PORTAL_OFFLINE_API = "openai"'),
    ("PORTAL_TRACING", "bogus", 'PORTAL_TRACING: "bogus" is not one of off, console, otlp'),
    ("PORTAL_TRACING", "jaeger\nconsole", 'PORTAL_TRACING: "jaeger\\nconsole" is not one of off, console, otlp'),
    ("PORTAL_TRACING_CONTENT", "maybe", 'PORTAL_TRACING_CONTENT: "maybe" is not true or false'),
    ("PORTAL_CONNECT_FORM", "sometimes", 'PORTAL_CONNECT_FORM: "sometimes" is not one of auto, on, off'),
    (
        "AZURE_INFERENCE_ENDPOINT",
        "nope",
        'AZURE_INFERENCE_ENDPOINT: "nope" is not a URL (for example https://<resource>.services.ai.azure.com/models)',
    ),
]


@pytest.mark.parametrize(("name", "value", "line"), BAD_VALUES, ids=[f"{name}={value!r}" for name, value, _ in BAD_VALUES])
def test_a_bad_value_is_one_line_naming_the_setting_when_the_settings_load(name: str, value: str, line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value}, {})
    assert raised.value.lines == (line,)
    assert str(raised.value) == line and "\n" not in str(raised.value)  # one line, even for a value with a line break
    assert "pydantic" not in line and "Traceback" not in line


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"AZURE_INFERENCE_AUTH": "password"},
            'AZURE_INFERENCE_AUTH: "password" is not key, entra or none',
        ),
        (
            {"AZURE_INFERENCE_KIND": "mainframe"},
            'AZURE_INFERENCE_KIND: "mainframe" is not one of foundry_v1, openai, openai_compatible, foundry, serverless, '
            "managed_compute, azure_openai, github_models, local",
        ),
        (
            {"AZURE_INFERENCE_AUTH": "key", "AZURE_INFERENCE_CREDENTIAL": ""},
            'AZURE_INFERENCE_CREDENTIAL: not set, but AZURE_INFERENCE_AUTH is "key"',
        ),
        ({"AZURE_INFERENCE_STORE": "sometimes"}, 'AZURE_INFERENCE_STORE: "sometimes" is not true or false'),
        (
            {"AZURE_INFERENCE_WIRE": "responses"},
            'AZURE_INFERENCE_WIRE: "responses" needs AZURE_INFERENCE_API = "openai" (the Azure AI Model Inference API has no Responses API)',
        ),
        (
            {"AZURE_INFERENCE_TOKEN_SCOPE": "cognitiveservices", "AZURE_INFERENCE_AUTH": "entra"},
            'AZURE_INFERENCE_TOKEN_SCOPE: "cognitiveservices" is not a scope URL (for example https://cognitiveservices.azure.com/.default)',
        ),
    ],
    ids=["auth", "kind", "key-missing", "store", "wire", "token-scope"],
)
def test_the_default_connection_names_its_environment_variables(env: dict[str, str], line: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"AZURE_INFERENCE_ENDPOINT": "https://phi.eastus2.models.ai.azure.com", **env}, {})
    assert raised.value.lines == (line,)


def test_two_bad_values_are_two_lines_and_a_key_never_shows() -> None:
    env = {
        "AZURE_INFERENCE_ENDPOINT": "not a url",
        "AZURE_INFERENCE_CREDENTIAL": KEY,
        "PORTAL_CONTEXT_BUDGET_TOKENS": "8k",
        "PORTAL_TRACING": "jaeger",
    }
    secrets = {
        "connections": {"hub": {"endpoint": "https://hub.services.ai.azure.com/models", "api_key": KEY, "auth": "pasword"}}
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(env, secrets)
    assert raised.value.lines == (
        'AZURE_INFERENCE_ENDPOINT: "not a url" is not a URL (for example https://<resource>.services.ai.azure.com/models)',
        '[connections.hub] auth: "pasword" is not key, entra or none',
        'PORTAL_CONTEXT_BUDGET_TOKENS: "8k" is not a whole number of at least 1 (for example 8000)',
        'PORTAL_TRACING: "jaeger" is not one of off, console, otlp',
    )
    assert str(raised.value) == "\n".join(raised.value.lines)
    assert KEY not in str(raised.value) and KEY[-8:] not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no pydantic error chained on


def test_a_refused_key_is_named_but_never_shown() -> None:
    with pytest.raises(ConfigError) as raised:
        build_connection("hub", {"endpoint": "https://phi.eastus2.models.ai.azure.com", "api_key": [KEY]})
    assert raised.value.lines == ("[connections.hub] api_key: the value (not shown) is not an API key (a string)",)
    with pytest.raises(ConfigError) as whole:  # a table given where a connection belongs: not spelled out either
        load_settings({}, {"connections": {"hub": [{"api_key": KEY}]}})
    assert whole.value.lines == (
        '[connections.hub]: a list is not a table (endpoint = "https://…" and the other connection settings)',
    )


def test_a_table_names_its_fields_as_written() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(
            {},
            {"connections": {"hub": {"endpoint": "https://hub.services.ai.azure.com/models", "model": ["a"], "credential": KEY}}},
        )
    assert raised.value.lines == ("[connections.hub] model: a list is not a model or deployment name",)


def test_good_values_are_parsed_to_their_types() -> None:
    settings = load_settings(
        {
            "PORTAL_CONTEXT_BUDGET_TOKENS": " 4000 ",
            "PORTAL_REQUEST_TIMEOUT_SECONDS": "2.5",
            "PORTAL_MAX_RATE_LIMIT_RETRIES": "0",
            "PORTAL_OFFLINE_WORDS_PER_SECOND": "0",
            "PORTAL_OFFLINE_DEMO": "Always",
            "PORTAL_OFFLINE_API": "openai",
            "PORTAL_OFFLINE_WIRE": "responses",
            "PORTAL_TRACING": " OTLP ",
            "PORTAL_TRACING_CONTENT": "yes",
            "PORTAL_CONNECT_FORM": "off",
            "PORTAL_ADMINS": "oidc:a:1, oidc:b:2,",
            "DATABASE_URL": "sqlite:///x.db",
            "AZURE_INFERENCE_ENDPOINT": "https://r.openai.azure.com/openai/v1/",
            "AZURE_INFERENCE_CREDENTIAL": KEY,
            "AZURE_INFERENCE_NAME": "prod",
            "AZURE_INFERENCE_STORE": "on",
            "AZURE_INFERENCE_WIRE": "Responses",
            "AZURE_INFERENCE_RESPONSES_MODELS": "codex-mini, o3-deep-research",
        },
        {},
    )
    assert settings.context_budget_tokens == 4000 and isinstance(settings.context_budget_tokens, int)
    assert settings.request_timeout_seconds == 2.5 and isinstance(settings.request_timeout_seconds, float)
    assert (settings.max_rate_limit_retries, settings.offline_words_per_second) == (0, 0.0)
    assert (settings.tracing, settings.tracing_content, settings.connect_form) == ("otlp", True, "off")
    assert settings.admins == ("oidc:a:1", "oidc:b:2")
    assert settings.database_url == "sqlite:///x.db"
    prod, offline = settings.connections
    assert (prod.name, prod.endpoint, prod.kind, prod.api, prod.auth) == (
        "prod",
        "https://r.openai.azure.com/openai/v1",
        EndpointKind.FOUNDRY_V1,
        "openai",
        AUTH_KEY,
    )
    assert (prod.store, prod.wire, prod.responses_models) == (True, "responses", ("codex-mini", "o3-deep-research"))
    assert isinstance(prod.api_key, Secret) and prod.api_key.reveal() == KEY
    assert (offline.offline, offline.api, offline.wire, offline.kind) == (True, "openai", "responses", EndpointKind.FOUNDRY_V1)


def test_settings_default_without_any_value() -> None:
    settings = load_settings({}, {})
    assert (settings.context_budget_tokens, settings.request_timeout_seconds, settings.max_rate_limit_retries) == (8000, 120.0, 3)
    assert (settings.offline_words_per_second, settings.tracing, settings.tracing_content) == (40.0, "off", False)
    assert (settings.connect_form, settings.admins, settings.database_url) == ("auto", (), None)


def test_only_the_portals_own_variables_are_read() -> None:
    """Other PORTAL_* variables (the tests' PORTAL_REQUIRE_ALL, PORTAL_DATA_DIR) are not settings here."""
    settings = load_settings({"PORTAL_REQUIRE_ALL": "1", "PORTAL_DATA_DIR": "/tmp/x", "HOME": "/root"}, {})
    assert settings.connections[0].offline


def test_numbers_from_secrets_toml_may_be_numbers() -> None:
    settings = load_settings({}, {"PORTAL_CONTEXT_BUDGET_TOKENS": 4000, "PORTAL_REQUEST_TIMEOUT_SECONDS": 30})
    assert (settings.context_budget_tokens, settings.request_timeout_seconds) == (4000, 30.0)
    with pytest.raises(ConfigError) as raised:  # but TOML true is not a number
        load_settings({}, {"PORTAL_CONTEXT_BUDGET_TOKENS": True, "PORTAL_MAX_RATE_LIMIT_RETRIES": 1.5})
    assert raised.value.lines == (
        "PORTAL_CONTEXT_BUDGET_TOKENS: true is not a whole number of at least 1 (for example 8000)",
        "PORTAL_MAX_RATE_LIMIT_RETRIES: 1.5 is not a whole number of at least 0 (for example 3)",
    )


def test_offline_connection_is_local_without_auth() -> None:
    connection = offline_connection("http://127.0.0.1:1234")
    assert isinstance(connection, Connection)
    assert (connection.auth, connection.kind, connection.chat_model) == (AUTH_NONE, EndpointKind.LOCAL, "local-chat")
