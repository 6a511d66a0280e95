"""Configuration in one place: environment variables and `.streamlit/secrets.toml`.

The default connection comes from `AZURE_INFERENCE_ENDPOINT`, `AZURE_INFERENCE_CREDENTIAL` (API key;
absent means Entra ID through DefaultAzureCredential), `AZURE_INFERENCE_MODEL` and
`AZURE_INFERENCE_EMBEDDINGS_MODEL`, in the environment or at the top of secrets.toml. Named
connections live under `[connections.<name>]`. With no endpoint at all the app runs on the offline
local server. Keys are held in `Secret` so that they never print, log or serialise.

What each setting accepts, and the one line per refused value, live in settings_schema.py
(pydantic-settings); this module turns the checked values into the app's Connection and AppSettings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from .inference.credentials import AUTH_ENTRA, AUTH_KEY, AUTH_NONE
from .inference.endpoints import API_AZURE_INFERENCE, API_OPENAI, EndpointKind, EndpointTraits, traits_for
from .inference.types import WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES
from .settings_schema import OFFLINE_APIS, OFFLINE_DEMO_MODES, TRACING_MODES, ConnectionSettings, PortalSettings, problem_lines

OFFLINE_CONNECTION = "Offline demo (local server)"

__all__ = [
    "AUTH_ENTRA",
    "AUTH_KEY",
    "AUTH_NONE",
    "OFFLINE_APIS",
    "OFFLINE_DEMO_MODES",
    "TRACING_MODES",
    "AppSettings",
    "ConfigError",
    "Connection",
    "Secret",
    "load_settings",
]


class ConfigError(ValueError):
    """Settings are wrong: one line per refused value, naming the setting, the value (never a secret's)
    and what it accepts. `lines` holds them; str() joins them with newlines."""

    def __init__(self, *lines: str):
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


class Secret:
    """A string that never shows itself: repr, str and format all mask it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):
        raise TypeError("a Secret is never pickled or serialised")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict) -> Secret:
        return self


def mask(value: str | None) -> str:
    if not value:
        return "(none)"
    return "••••" + value[-4:] if len(value) > 12 else "••••"


@dataclass(frozen=True)
class Connection:
    name: str
    endpoint: str
    auth: str  # AUTH_KEY, AUTH_ENTRA or AUTH_NONE
    api_key: Secret | None = field(default=None, repr=False)
    kind: EndpointKind = EndpointKind.SERVERLESS
    api: str = API_AZURE_INFERENCE  # which SDK speaks to it: API_OPENAI or API_AZURE_INFERENCE
    token_scope: str | None = None  # Entra ID scope; None = the kind's default
    wire: str = WIRE_CHAT_COMPLETIONS  # openai API only: chat completions or the Responses API
    store: bool = False  # Responses API: keep responses on the service (30 days on Azure) and send previous_response_id
    responses_models: tuple[str, ...] = ()  # models that answer only on the Responses API (codex, deep-research, ...)
    api_version: str | None = None
    chat_model: str | None = None
    embeddings_model: str | None = None
    chat_models: tuple[str, ...] = ()  # choices offered in the chat settings
    embeddings_models: tuple[str, ...] = ()
    offline: bool = False

    @property
    def traits(self) -> EndpointTraits:
        return traits_for(self.kind)

    def model_choices(self) -> tuple[str, ...]:
        models = list(self.chat_models)
        if self.chat_model and self.chat_model not in models:
            models.insert(0, self.chat_model)
        return tuple(models)


@dataclass(frozen=True)
class AppSettings:
    connections: tuple[Connection, ...]
    database_url: str | None = None
    context_budget_tokens: int = 8000
    request_timeout_seconds: float = 120.0
    max_rate_limit_retries: int = 3
    offline_words_per_second: float = 40.0
    tracing: str = "off"  # off, console or otlp
    tracing_content: bool = False
    connect_form: str = "auto"  # the "Connect your model" form: auto (local, no sign-in), on, off
    admins: tuple[str, ...] = ()  # owner ids (oidc:<iss>:<sub>) who may add connections when sign-in is on

    @property
    def needs_offline_server(self) -> bool:
        return any(c.offline for c in self.connections)

    def connection(self, name: str | None) -> Connection:
        for connection in self.connections:
            if connection.name == name:
                return connection
        return self.connections[0]


def _connection(name: str, parsed: ConnectionSettings) -> Connection:
    values = parsed.resolved
    key = values.pop("api_key")
    return Connection(name=name, api_key=Secret(key) if key else None, **values)


def build_connection(name: str, raw: Mapping[str, Any]) -> Connection:
    """Validate one connection's settings (a `[connections.<name>]` table, or the connect form's);
    ConfigError has one line per problem, e.g. `[connections.hub] auth: "password" is not key, entra or none`."""
    try:
        parsed = ConnectionSettings.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(*problem_lines(exc, table=name)) from None
    return _connection(name, parsed)


def offline_connection(server_url: str, api: str = API_AZURE_INFERENCE, wire: str = WIRE_CHAT_COMPLETIONS) -> Connection:
    """The offline demo on the bundled local server, through either API: the Azure AI Model
    Inference routes at the server's root (its chat models configured), or Foundry's OpenAI v1 routes
    at `/openai/v1` (its deployments listed, as a real v1 connection's are)."""
    if api == API_OPENAI:
        return Connection(
            name=OFFLINE_CONNECTION,
            endpoint=server_url.rstrip("/") + "/openai/v1",
            auth=AUTH_NONE,
            kind=EndpointKind.FOUNDRY_V1,
            api=api,
            wire=wire,
            chat_model="local-chat",
            embeddings_model="local-embed",
            embeddings_models=("local-embed",),
            offline=True,
        )
    return Connection(
        name=OFFLINE_CONNECTION,
        endpoint=server_url,
        auth=AUTH_NONE,
        kind=EndpointKind.LOCAL,
        api=api,
        chat_model="local-chat",
        embeddings_model="local-embed",
        chat_models=("local-chat", "local-reasoner"),
        embeddings_models=("local-embed",),
        offline=True,
    )


def with_offline_endpoint(settings: AppSettings, server_url: str, embeddings_models: tuple[str, ...] = ()) -> AppSettings:
    """Point the offline connection at the running local server; `embeddings_models` are what it
    serves (e.g. all-MiniLM-L6-v2 when the optional extra is installed), added to the choices."""

    def offline(connection: Connection) -> Connection:
        models = tuple(dict.fromkeys((*connection.embeddings_models, *embeddings_models)))
        return replace(offline_connection(server_url, connection.api, connection.wire), embeddings_models=models)

    connections = tuple(offline(c) if c.offline else c for c in settings.connections)
    return replace(settings, connections=connections)


def load_settings(env: Mapping[str, Any] | None = None, secrets: Mapping[str, Any] | None = None) -> AppSettings:
    """Read and check every setting (portal/settings_schema.py); secrets.toml values win over the
    environment for the same key. Every refused value is one line of the one ConfigError raised."""
    env = os.environ if env is None else env
    try:
        parsed = PortalSettings.load(env, secrets or {})
    except ValidationError as exc:
        raise ConfigError(*problem_lines(exc)) from None
    connections: list[Connection] = []
    if parsed.default_connection is not None:
        connections.append(_connection(parsed.default_connection_name, parsed.default_connection))
    connections.extend(_connection(str(name), table) for name, table in parsed.connections.items())
    if parsed.offline_demo == "always" or (parsed.offline_demo == "auto" and not connections):
        connections.append(offline_connection("http://127.0.0.1:0", OFFLINE_APIS[parsed.offline_api], parsed.offline_wire))
    return AppSettings(
        connections=tuple(connections),
        database_url=parsed.database_url,
        context_budget_tokens=parsed.context_budget_tokens,
        request_timeout_seconds=parsed.request_timeout_seconds,
        max_rate_limit_retries=parsed.max_rate_limit_retries,
        offline_words_per_second=parsed.offline_words_per_second,
        tracing=parsed.tracing,
        tracing_content=parsed.tracing_content,
        connect_form=parsed.connect_form,
        admins=parsed.admins,
    )


def describe_connection(connection: Connection) -> dict[str, str]:
    """What the UI may show about a connection: the key only ever masked."""
    traits = connection.traits
    if connection.auth == AUTH_KEY:
        auth = f"API key {mask(connection.api_key.reveal() if connection.api_key else None)}"
    elif connection.auth == AUTH_ENTRA:
        auth = f"Entra ID (DefaultAzureCredential, scope {connection.token_scope or traits.token_scope})"
    else:
        auth = "none"
    if connection.api == API_OPENAI:
        api_version = connection.api_version or "none (the v1 API needs none)"
    else:
        api_version = connection.api_version or "SDK default (2024-05-01-preview)"
    return {
        "Connection": connection.name,
        "Endpoint": connection.endpoint,
        "Kind": connection.kind.value,
        "API (SDK)": "OpenAI v1 (openai package)" if connection.api == API_OPENAI else "Azure AI Model Inference (azure-ai-inference)",
        "Wire": "Responses API" if connection.wire == WIRE_RESPONSES else "Chat Completions"
        + (f" (Responses API for {', '.join(connection.responses_models)})" if connection.responses_models else ""),
        "Stored responses": "on: previous_response_id, kept 30 days on Azure" if connection.store else "off (store=false; the history is sent)",
        "Authentication": auth,
        "API version": api_version,
        "Chat models": ", ".join(connection.model_choices()) or "endpoint default",
        "Embeddings models": ", ".join(connection.embeddings_models or ((connection.embeddings_model,) if connection.embeddings_model else ())) or "endpoint default",
        "Sends `model` in the body": "yes" if traits.sends_model else "no",
        "GET /info": "supported" if traits.has_info else "not supported",
    }


INFO_UNSUPPORTED_REASONS = {
    EndpointKind.FOUNDRY_V1: "The OpenAI v1 API has no `/info` route (it belonged to the Azure AI Model Inference API, retired on 2026-08-26).",
    EndpointKind.OPENAI: "The OpenAI API has no `/info` route.",
    EndpointKind.FOUNDRY: "Azure AI Foundry `/models` endpoints serve many models behind one URL, so there is no single model to describe: `/info` answers 404.",
    EndpointKind.AZURE_OPENAI: "Azure OpenAI deployments do not implement the `/info` route (it answers 404).",
    EndpointKind.GITHUB_MODELS: "GitHub Models serves many models behind one URL and has no `/info` route.",
    EndpointKind.OPENAI_COMPATIBLE: "OpenAI-compatible servers (vLLM, Ollama, llama.cpp) have no `/info` route.",
}
