"""Configuration in one place: environment variables and `.streamlit/secrets.toml`.

The default connection comes from `AZURE_INFERENCE_ENDPOINT`, `AZURE_INFERENCE_CREDENTIAL` (API key;
absent means Entra ID through DefaultAzureCredential), `AZURE_INFERENCE_MODEL` and
`AZURE_INFERENCE_EMBEDDINGS_MODEL`, in the environment or at the top of secrets.toml. Named
connections live under `[connections.<name>]`. With no endpoint at all the app runs on the offline
local server. Keys are held in `Secret` so that they never print, log or serialise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from .inference.credentials import AUTH_ENTRA, AUTH_KEY, AUTH_NONE
from .inference.endpoints import (
    API_AZURE_INFERENCE,
    API_OPENAI,
    APIS,
    FOUNDRY_V1_API_VERSIONS,
    EndpointKind,
    EndpointTraits,
    detect_kind,
    traits_for,
)
from .inference.types import WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES, WIRES

OFFLINE_CONNECTION = "Offline demo (local server)"
OFFLINE_APIS = {"azure-ai-inference": API_AZURE_INFERENCE, "azure": API_AZURE_INFERENCE, "openai": API_OPENAI}

__all__ = ["AUTH_ENTRA", "AUTH_KEY", "AUTH_NONE", "AppSettings", "ConfigError", "Connection", "Secret", "load_settings"]


class ConfigError(ValueError):
    """A setting is wrong; the message says exactly which and what to do."""


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


def _split_models(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


def build_connection(name: str, raw: Mapping[str, Any]) -> Connection:
    """Validate one connection's settings; ConfigError says exactly what to fix."""
    endpoint = str(raw.get("endpoint") or "").strip().rstrip("/")
    where = f"connection '{name}'"
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"{where}: endpoint {endpoint!r} is not a URL; use e.g. https://<resource>.services.ai.azure.com/models")
    if parsed.query:
        raise ConfigError(f"{where}: remove the query string from the endpoint (set api_version instead); the SDK adds its own")
    kind_value = raw.get("kind")
    try:
        kind = EndpointKind(kind_value) if kind_value else detect_kind(endpoint)
    except ValueError:
        allowed = ", ".join(k.value for k in EndpointKind)
        raise ConfigError(f"{where}: kind {kind_value!r} is unknown; use one of {allowed}") from None
    key = raw.get("api_key", raw.get("credential"))
    traits = traits_for(kind)
    api = str(raw.get("api") or traits.default_api).lower()
    if api not in APIS:
        raise ConfigError(f"{where}: api must be 'openai' or 'azure-ai-inference', not {api!r}")
    # Without a key: Entra ID where the kind accepts it, otherwise no auth (Ollama, vLLM, the local server).
    default_auth = AUTH_KEY if key else (AUTH_ENTRA if traits.token_scope else AUTH_NONE)
    auth = str(raw.get("auth") or default_auth).lower()
    if auth not in (AUTH_KEY, AUTH_ENTRA, AUTH_NONE):
        raise ConfigError(f"{where}: auth must be 'key', 'entra' or 'none', not {auth!r}")
    if auth == AUTH_KEY and not key:
        raise ConfigError(f"{where}: auth is 'key' but no api_key is set")
    if kind == EndpointKind.GITHUB_MODELS and not key and not raw.get("auth"):
        raise ConfigError(f"{where}: github_models endpoints need api_key set to a GitHub personal access token")
    if auth == AUTH_ENTRA:
        if parsed.scheme != "https":
            raise ConfigError(
                f"{where}: Entra ID tokens are only sent over https; use an https endpoint, set api_key, "
                "or auth = \"none\" for a local server without authentication"
            )
        if traits.token_scope is None and not raw.get("token_scope"):
            raise ConfigError(f"{where}: {kind.value} endpoints do not accept Entra ID; set api_key")
    token_scope = str(raw["token_scope"]).strip() if raw.get("token_scope") else None
    if token_scope is not None and not urlparse(token_scope).scheme:
        raise ConfigError(f"{where}: token_scope {token_scope!r} is not a scope; use e.g. https://cognitiveservices.azure.com/.default")
    api_version = raw.get("api_version") or traits.default_api_version
    if kind == EndpointKind.FOUNDRY_V1 and api == API_OPENAI and api_version not in (None, *FOUNDRY_V1_API_VERSIONS):
        raise ConfigError(
            f"{where}: the OpenAI v1 API accepts api_version 'v1' or 'preview' (or none), not {api_version!r}; "
            "remove api_version (dated versions belong to /openai/deployments/<name> URLs)"
        )
    wire = str(raw.get("wire") or WIRE_CHAT_COMPLETIONS).lower()
    if wire not in WIRES:
        raise ConfigError(f"{where}: wire must be 'chat_completions' or 'responses', not {wire!r}")
    if wire == WIRE_RESPONSES and api != API_OPENAI:
        raise ConfigError(f"{where}: the Responses API needs api = \"openai\" (the Azure AI Model Inference API has no Responses API)")
    store = _flag(raw.get("store"), f"{where}: store")
    chat_models = _split_models(raw.get("chat_models"))
    chat_model = raw.get("chat_model") or raw.get("model") or (chat_models[0] if chat_models else None)
    embeddings_models = _split_models(raw.get("embeddings_models"))
    embeddings_model = raw.get("embeddings_model") or (embeddings_models[0] if embeddings_models else None)
    if traits.requires_model and not chat_model and not embeddings_model:
        raise ConfigError(f"{where}: {kind.value} endpoints need a model; set chat_model (and embeddings_model) to a deployment name")
    return Connection(
        name=name,
        endpoint=endpoint,
        auth=auth,
        api_key=Secret(str(key)) if key and auth == AUTH_KEY else None,
        kind=kind,
        api=api,
        token_scope=token_scope,
        api_version=api_version,
        chat_model=chat_model,
        embeddings_model=embeddings_model,
        chat_models=chat_models,
        embeddings_models=embeddings_models,
        wire=wire,
        store=store,
        responses_models=_split_models(raw.get("responses_models")),
    )


def _number(value: Any, name: str, kind: type, minimum: float) -> Any:
    """An int or float setting, with one clear message for anything else ("8k", "", -1, NaN)."""
    what = "a whole number" if kind is int else "a number"
    problem = ConfigError(f"{name} must be {what} of at least {minimum:g}, not {value!r}")
    if isinstance(value, bool):
        raise problem
    try:
        number = kind(value if isinstance(value, (int, float)) else str(value).strip())
    except (TypeError, ValueError, OverflowError):
        raise problem from None
    if not math.isfinite(number) or number < minimum:
        raise problem
    return number


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return text


OFFLINE_DEMO_MODES = ("auto", "always", "never")
TRACING_MODES = ("off", "console", "otlp")


def _flag(value: Any, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


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


def load_settings(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> AppSettings:
    """Read every setting; secrets.toml values win over the environment for the same key."""
    env = os.environ if env is None else env
    secrets = secrets or {}

    def setting(name: str, default: Any = None) -> Any:
        return secrets.get(name, env.get(name, default))

    connections: list[Connection] = []
    endpoint = setting("AZURE_INFERENCE_ENDPOINT")
    if endpoint:
        key = setting("AZURE_INFERENCE_CREDENTIAL")
        raw_default = {
            "endpoint": endpoint,
            "api_key": key,
            "auth": setting("AZURE_INFERENCE_AUTH"),  # default: key if set, else Entra ID where the kind takes it
            "kind": setting("AZURE_INFERENCE_KIND"),
            "api": setting("AZURE_INFERENCE_API"),
            "token_scope": setting("AZURE_INFERENCE_TOKEN_SCOPE"),
            "wire": setting("AZURE_INFERENCE_WIRE"),
            "store": setting("AZURE_INFERENCE_STORE"),
            "responses_models": setting("AZURE_INFERENCE_RESPONSES_MODELS"),
            "api_version": setting("AZURE_INFERENCE_API_VERSION"),
            "chat_model": setting("AZURE_INFERENCE_MODEL"),
            "embeddings_model": setting("AZURE_INFERENCE_EMBEDDINGS_MODEL"),
        }
        connections.append(build_connection(setting("AZURE_INFERENCE_NAME", "Default"), raw_default))
    for name, raw in (secrets.get("connections") or {}).items():
        connections.append(build_connection(str(name), raw))
    offline_demo = _choice(setting("PORTAL_OFFLINE_DEMO", "auto"), "PORTAL_OFFLINE_DEMO", OFFLINE_DEMO_MODES)
    offline_api = str(setting("PORTAL_OFFLINE_API", API_AZURE_INFERENCE)).lower()
    if offline_api not in OFFLINE_APIS:
        raise ConfigError(f"PORTAL_OFFLINE_API must be 'openai' or 'azure-ai-inference', not {offline_api!r}")
    offline_wire = str(setting("PORTAL_OFFLINE_WIRE", WIRE_CHAT_COMPLETIONS)).lower()
    if offline_wire not in WIRES or (offline_wire == WIRE_RESPONSES and OFFLINE_APIS[offline_api] != API_OPENAI):
        raise ConfigError(f"PORTAL_OFFLINE_WIRE must be 'chat_completions', or 'responses' with PORTAL_OFFLINE_API=openai, not {offline_wire!r}")
    if offline_demo == "always" or (offline_demo == "auto" and not connections):
        connections.append(offline_connection("http://127.0.0.1:0", OFFLINE_APIS[offline_api], offline_wire))
    if not connections:
        raise ConfigError("No connection is configured and PORTAL_OFFLINE_DEMO is 'never'; set AZURE_INFERENCE_ENDPOINT")
    connect_form = str(setting("PORTAL_CONNECT_FORM", "auto")).lower()
    if connect_form not in ("auto", "on", "off"):
        raise ConfigError(f"PORTAL_CONNECT_FORM must be 'auto', 'on' or 'off', not {connect_form!r}")
    return AppSettings(
        connections=tuple(connections),
        database_url=setting("DATABASE_URL"),
        context_budget_tokens=_number(setting("PORTAL_CONTEXT_BUDGET_TOKENS", 8000), "PORTAL_CONTEXT_BUDGET_TOKENS", int, 1),
        request_timeout_seconds=_number(setting("PORTAL_REQUEST_TIMEOUT_SECONDS", 120), "PORTAL_REQUEST_TIMEOUT_SECONDS", float, 0.1),
        max_rate_limit_retries=_number(setting("PORTAL_MAX_RATE_LIMIT_RETRIES", 3), "PORTAL_MAX_RATE_LIMIT_RETRIES", int, 0),
        offline_words_per_second=_number(setting("PORTAL_OFFLINE_WORDS_PER_SECOND", 40), "PORTAL_OFFLINE_WORDS_PER_SECOND", float, 0),
        tracing=_choice(setting("PORTAL_TRACING", "off"), "PORTAL_TRACING", TRACING_MODES),
        tracing_content=_flag(setting("PORTAL_TRACING_CONTENT", "false"), "PORTAL_TRACING_CONTENT"),
        connect_form=connect_form,
        admins=_split_models(setting("PORTAL_ADMINS")),
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
