"""What each setting accepts, on pydantic-settings, and every refused value as one line naming it.

`PortalSettings` holds the portal's own settings (`PORTAL_*`, `DATABASE_URL`), the default connection
(`AZURE_INFERENCE_*`) and the `[connections.<name>]` tables of secrets.toml; `ConnectionSettings` is one
connection. Each field says in its `description` what it accepts, so a value pydantic refuses becomes
`PORTAL_CONTEXT_BUDGET_TOKENS: "8k" is not a whole number of at least 1 (for example 8000)`. Rules
between fields (auth "key" without a key, the Responses API on the other SDK) are reported on the
field to change, in the names the person wrote: `AZURE_INFERENCE_CREDENTIAL` for the default
connection, `[connections.hub] api_key` for a table. Secret fields never show their value.

`problem_lines` turns pydantic's ValidationError into those lines; settings.py raises them as one
ConfigError. No streamlit here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlparse

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .inference.credentials import AUTH_ENTRA, AUTH_KEY, AUTH_NONE
from .inference.endpoints import API_AZURE_INFERENCE, API_OPENAI, FOUNDRY_V1_API_VERSIONS, EndpointKind, detect_kind, traits_for
from .inference.types import WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES

OFFLINE_APIS = {"azure-ai-inference": API_AZURE_INFERENCE, "azure": API_AZURE_INFERENCE, "openai": API_OPENAI}

# The default connection's fields and the variables (or top-level secrets.toml keys) they come from.
DEFAULT_CONNECTION_VARIABLES = {
    "endpoint": "AZURE_INFERENCE_ENDPOINT",
    "api_key": "AZURE_INFERENCE_CREDENTIAL",
    "auth": "AZURE_INFERENCE_AUTH",  # default: key if set, else Entra ID where the kind takes it
    "kind": "AZURE_INFERENCE_KIND",
    "api": "AZURE_INFERENCE_API",
    "token_scope": "AZURE_INFERENCE_TOKEN_SCOPE",
    "wire": "AZURE_INFERENCE_WIRE",
    "store": "AZURE_INFERENCE_STORE",
    "responses_models": "AZURE_INFERENCE_RESPONSES_MODELS",
    "api_version": "AZURE_INFERENCE_API_VERSION",
    "chat_model": "AZURE_INFERENCE_MODEL",
    "embeddings_model": "AZURE_INFERENCE_EMBEDDINGS_MODEL",
}

OfflineDemoMode = Literal["auto", "always", "never"]
TracingMode = Literal["off", "console", "otlp"]
OFFLINE_DEMO_MODES = get_args(OfflineDemoMode)
TRACING_MODES = get_args(TracingMode)

RULES = "settings_rules"  # error type: rules between fields, each (field, message template) in ctx["problems"]
STATED = "setting_stated"  # error type: a field's own full message (not "<value> is not <description>")


# -- normalising what arrives (environment strings, TOML values) -------------------------------------


def _text(value: Any) -> Any:
    """Strip strings; an empty string means unset."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _word(value: Any) -> Any:
    """A choice: stripped and lower-cased (an empty string stays, and is refused)."""
    return value.strip().lower() if isinstance(value, str) else value


def _optional_word(value: Any) -> Any:
    value = _text(value)
    return value.lower() if isinstance(value, str) else value


def _names(value: Any) -> Any:
    """A comma-separated string or a TOML list of names."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("", "0", "false", "no", "off"):
            return False
        raise ValueError("not a flag")
    return value


def _not_a_bool(value: Any) -> Any:
    """TOML `true` is not the number 1."""
    if isinstance(value, bool):
        raise ValueError("a flag, not a number")
    return value


Text = Annotated[str | None, BeforeValidator(_text)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
Flag = Annotated[bool, BeforeValidator(_flag)]
OptionalFlag = Annotated[bool | None, BeforeValidator(_flag)]


def _stated(template: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError(STATED, template, values)


def _rules(problems: list[tuple[str, str]]) -> PydanticCustomError:
    return PydanticCustomError(
        RULES, "{count} settings do not fit together", {"count": len(problems), "problems": tuple(problems)}
    )


def shown(value: Any) -> str:
    """A refused value as the line shows it: quoted, on one line, short; tables and lists not spelled out
    (a table may hold a key)."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        text = json.dumps(value if len(value) <= 120 else value[:120] + "…", ensure_ascii=False)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    return text


def _quoted(value: Any) -> str:
    """`shown`, safe inside a rule's message template (formatted later with the fields' names)."""
    return shown(value).replace("{", "{{").replace("}", "}}")


# -- one connection ------------------------------------------------------------------------------------

KINDS = ", ".join(k.value for k in EndpointKind)


class ConnectionSettings(BaseModel):
    """One connection: the default one (AZURE_INFERENCE_*) or a `[connections.<name>]` table."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    endpoint: str = Field(
        "", validate_default=True, description="a URL (for example https://<resource>.services.ai.azure.com/models)"
    )
    api_key: Annotated[SecretStr | None, BeforeValidator(_text)] = Field(
        None, validation_alias=AliasChoices("api_key", "credential"), description="an API key (a string)"
    )
    auth: Annotated[Literal["key", "entra", "none"] | None, BeforeValidator(_optional_word)] = Field(
        None, description="key, entra or none"
    )
    kind: Annotated[EndpointKind | None, BeforeValidator(_optional_word)] = Field(None, description=f"one of {KINDS}")
    api: Annotated[Literal["openai", "azure-ai-inference"] | None, BeforeValidator(_optional_word)] = Field(
        None, description="openai or azure-ai-inference"
    )
    token_scope: Text = Field(None, description="a scope URL (for example https://cognitiveservices.azure.com/.default)")
    wire: Annotated[Literal["chat_completions", "responses"] | None, BeforeValidator(_optional_word)] = Field(
        None, description="chat_completions or responses"
    )
    store: OptionalFlag = Field(None, description="true or false")
    responses_models: Names = Field((), description="model names (comma-separated, or a list)")
    api_version: Text = Field(None, description="an api-version (for example 2024-06-01)")
    chat_model: Text = Field(None, validation_alias=AliasChoices("chat_model", "model"), description="a model or deployment name")
    embeddings_model: Text = Field(None, description="a model or deployment name")
    chat_models: Names = Field((), description="model names (comma-separated, or a list)")
    embeddings_models: Names = Field((), description="model names (comma-separated, or a list)")

    _resolved: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("endpoint", mode="before")
    @classmethod
    def _endpoint_text(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_a_url(cls, value: str) -> str:
        endpoint = value.strip().rstrip("/")
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("not a URL")
        if parsed.query:
            raise _stated(
                "{value} has a query string; remove it and set the api-version as its own setting (the SDK adds the query)",
                value=shown(value),
            )
        return endpoint

    @field_validator("token_scope")
    @classmethod
    def _scope_is_a_url(cls, value: str | None) -> str | None:
        if value is not None and not urlparse(value).scheme:
            raise ValueError("not a scope")
        return value

    @model_validator(mode="after")
    def _fit_together(self) -> ConnectionSettings:
        """The kind (detected or given) decides the defaults; then the rules between fields.
        Messages name other fields as `{field}`, filled in with the names the person wrote."""
        kind = self.kind or detect_kind(self.endpoint)
        traits = traits_for(kind)
        api = self.api or traits.default_api
        key = self.api_key.get_secret_value() if self.api_key else None
        auth = self.auth or (AUTH_KEY if key else (AUTH_ENTRA if traits.token_scope else AUTH_NONE))
        api_version = self.api_version or traits.default_api_version
        wire = self.wire or WIRE_CHAT_COMPLETIONS
        problems: list[tuple[str, str]] = []
        if auth == AUTH_KEY and not key:
            problems.append(("api_key", 'not set, but {auth} is "key"'))
        if kind == EndpointKind.GITHUB_MODELS and not key and not self.auth:
            problems.append(("api_key", "not set; github_models endpoints need a GitHub personal access token"))
        if auth == AUTH_ENTRA:
            if urlparse(self.endpoint).scheme != "https":
                problems.append(
                    (
                        "endpoint",
                        f"{_quoted(self.endpoint)} is http, and Entra ID tokens are only sent over https; use an https endpoint, set {{api_key}}, "
                        'or {auth} = "none" for a local server without authentication',
                    )
                )
            if traits.token_scope is None and not self.token_scope:
                problems.append(("auth", f'"entra", but {kind.value} endpoints do not accept Entra ID; set {{api_key}}'))
        if kind == EndpointKind.FOUNDRY_V1 and api == API_OPENAI and api_version not in (None, *FOUNDRY_V1_API_VERSIONS):
            problems.append(
                (
                    "api_version",
                    f"{_quoted(api_version)} is not v1 or preview; the OpenAI v1 API takes those or none "
                    "(dated versions belong to /openai/deployments/<name> URLs)",
                )
            )
        if wire == WIRE_RESPONSES and api != API_OPENAI:
            problems.append(
                ("wire", '"responses" needs {api} = "openai" (the Azure AI Model Inference API has no Responses API)')
            )
        chat_model = self.chat_model or (self.chat_models[0] if self.chat_models else None)
        embeddings_model = self.embeddings_model or (self.embeddings_models[0] if self.embeddings_models else None)
        if traits.requires_model and not chat_model and not embeddings_model:
            problems.append(
                (
                    "chat_model",
                    f"not set; {kind.value} endpoints need a model: set {{chat_model}} (and {{embeddings_model}}) to a deployment name",
                )
            )
        if problems:
            raise _rules(problems)
        self._resolved = {
            "endpoint": self.endpoint,
            "auth": auth,
            "api_key": key if auth == AUTH_KEY else None,
            "kind": kind,
            "api": api,
            "token_scope": self.token_scope,
            "api_version": api_version,
            "wire": wire,
            "store": bool(self.store),
            "chat_model": chat_model,
            "embeddings_model": embeddings_model,
            "chat_models": self.chat_models,
            "embeddings_models": self.embeddings_models,
            "responses_models": self.responses_models,
        }
        return self

    @property
    def resolved(self) -> dict[str, Any]:
        """The connection's values with the kind's defaults filled in (the key revealed: for Secret only)."""
        return dict(self._resolved)


# -- all settings ----------------------------------------------------------------------------------


class _MappingSource(PydanticBaseSettingsSource):
    """One mapping as a settings source: the environment, or the top level of secrets.toml. It hands
    over the keys the portal reads, whole (the default connection's variables are grouped later)."""

    def __init__(self, settings_cls: type[BaseSettings], mapping: Mapping[str, Any], keys: frozenset[str]):
        super().__init__(settings_cls)
        self._mapping = mapping
        self._keys = keys

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the mapping as a whole

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self._mapping.items() if key in self._keys}


WholeNumber = Annotated[int, BeforeValidator(_not_a_bool)]
Number = Annotated[float, BeforeValidator(_not_a_bool)]


class PortalSettings(BaseSettings):
    """Every setting the portal reads; `load` takes them from the environment and secrets.toml."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True, coerce_numbers_to_str=True)

    default_connection: ConnectionSettings | None = None
    default_connection_name: str = Field("Default", validation_alias="AZURE_INFERENCE_NAME", description="a name")
    connections: dict[str, ConnectionSettings] = Field(
        default_factory=dict, description="a table of connections ([connections.<name>] tables)"
    )
    database_url: Text = Field(None, validation_alias="DATABASE_URL", description="a database URL")
    context_budget_tokens: WholeNumber = Field(
        8000, ge=1, validation_alias="PORTAL_CONTEXT_BUDGET_TOKENS", description="a whole number of at least 1 (for example 8000)"
    )
    request_timeout_seconds: Number = Field(
        120.0,
        ge=0.1,
        allow_inf_nan=False,
        validation_alias="PORTAL_REQUEST_TIMEOUT_SECONDS",
        description="a number of seconds of at least 0.1 (for example 120)",
    )
    max_rate_limit_retries: WholeNumber = Field(
        3, ge=0, validation_alias="PORTAL_MAX_RATE_LIMIT_RETRIES", description="a whole number of at least 0 (for example 3)"
    )
    offline_words_per_second: Number = Field(
        40.0,
        ge=0,
        allow_inf_nan=False,
        validation_alias="PORTAL_OFFLINE_WORDS_PER_SECOND",
        description="a number of at least 0 (for example 40)",
    )
    offline_demo: Annotated[OfflineDemoMode, BeforeValidator(_word)] = Field(
        "auto", validation_alias="PORTAL_OFFLINE_DEMO", description=f"one of {', '.join(OFFLINE_DEMO_MODES)}"
    )
    offline_api: Annotated[Literal["azure-ai-inference", "azure", "openai"], BeforeValidator(_word)] = Field(
        "azure-ai-inference", validation_alias="PORTAL_OFFLINE_API", description="azure-ai-inference or openai"
    )
    offline_wire: Annotated[Literal["chat_completions", "responses"], BeforeValidator(_word)] = Field(
        WIRE_CHAT_COMPLETIONS, validation_alias="PORTAL_OFFLINE_WIRE", description="chat_completions or responses"
    )
    tracing: Annotated[TracingMode, BeforeValidator(_word)] = Field(
        "off", validation_alias="PORTAL_TRACING", description=f"one of {', '.join(TRACING_MODES)}"
    )
    tracing_content: Flag = Field(False, validation_alias="PORTAL_TRACING_CONTENT", description="true or false")
    connect_form: Annotated[Literal["auto", "on", "off"], BeforeValidator(_word)] = Field(
        "auto", validation_alias="PORTAL_CONNECT_FORM", description="one of auto, on, off"
    )
    admins: Names = Field((), validation_alias="PORTAL_ADMINS", description="owner ids (comma-separated, or a list)")

    @classmethod
    def load(cls, env: Mapping[str, Any], secrets: Mapping[str, Any]) -> PortalSettings:
        """secrets.toml wins over the environment for the same key. Raises pydantic's ValidationError."""
        keys = frozenset(SETTING_NAMES)
        sources = (_MappingSource(cls, secrets, keys), _MappingSource(cls, env, keys))
        # _build_sources is a documented BaseSettings.__init__ argument; mypy, seeing the model as a
        # dataclass, knows only the fields.
        return cls(_build_sources=(sources, {}))  # type: ignore[call-arg]

    @model_validator(mode="before")
    @classmethod
    def _group_the_default_connection(cls, data: Any) -> Any:
        """AZURE_INFERENCE_ENDPOINT (non-empty) makes a default connection of the AZURE_INFERENCE_* values."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        given = {field: data.pop(name) for field, name in DEFAULT_CONNECTION_VARIABLES.items() if data.get(name) is not None}
        if _text(given.get("endpoint")):
            data["default_connection"] = given
        return data

    @model_validator(mode="after")
    def _fit_together(self) -> PortalSettings:
        problems: list[tuple[str, str]] = []
        if self.offline_wire == WIRE_RESPONSES and OFFLINE_APIS[self.offline_api] != API_OPENAI:
            problems.append(("offline_wire", '"responses" needs {offline_api} = "openai"'))
        if self.offline_demo == "never" and self.default_connection is None and not self.connections:
            problems.append(
                (
                    "offline_demo",
                    '"never", but no connection is configured; set AZURE_INFERENCE_ENDPOINT or add [connections.<name>] to secrets.toml',
                )
            )
        if problems:
            raise _rules(problems)
        return self


def _aliases(field_name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (alias,) if isinstance(alias, str) else (field_name,)


def _fields_by_name(model: type[BaseModel]) -> dict[str, tuple[str, FieldInfo]]:
    """Every name a field answers to (its own and its aliases) -> (the name it is written as, the field)."""
    found: dict[str, tuple[str, FieldInfo]] = {}
    for field_name, field in model.model_fields.items():
        written = _aliases(field_name, field)
        for name in (field_name, *written):
            found[name] = (written[0], field)
    return found


SETTINGS_FIELDS = _fields_by_name(PortalSettings)
CONNECTION_FIELDS = _fields_by_name(ConnectionSettings)
SETTING_NAMES = {written for written, _ in SETTINGS_FIELDS.values()} | set(DEFAULT_CONNECTION_VARIABLES.values())


# -- ValidationError -> one line per refused value ---------------------------------------------------


def _is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretStr or SecretStr in get_args(field.annotation)


class _Scope:
    """How settings are named where an error happened: the variable names at the top level and for the
    default connection, `[connections.<name>] <field>` in a table."""

    def __init__(
        self, fields: dict[str, tuple[str, FieldInfo]], whole: str, accepted: str, rename: Mapping[str, str] | None = None
    ):
        self.fields = fields
        self.whole = whole  # the label of the scope itself
        self.accepted = accepted  # what the scope itself accepts
        self._rename = rename or {}

    def name(self, field: str) -> str:
        """How a field is named: in a rule's message (`{field}`) and at the start of its line."""
        written = self.fields[field][0] if field in self.fields else field
        return self._rename.get(written, written)

    def label(self, field: str) -> str:
        return self.name(field)


class _TableScope(_Scope):
    def __init__(self, table: str):
        super().__init__(
            CONNECTION_FIELDS, f"[connections.{table}]", 'a table (endpoint = "https://…" and the other connection settings)'
        )

    def label(self, field: str) -> str:
        return f"{self.whole} {field}"  # as written in the table (`model` stays `model`)


TOP = _Scope(SETTINGS_FIELDS, "settings", "a table of settings")
DEFAULT = _Scope(CONNECTION_FIELDS, "AZURE_INFERENCE_ENDPOINT", "a URL", DEFAULT_CONNECTION_VARIABLES)


def _scope_of(loc: tuple[Any, ...], table: str | None) -> tuple[_Scope, tuple[Any, ...]]:
    if table is not None:  # one connection validated on its own (build_connection)
        return _TableScope(table), loc
    if loc[:1] == ("default_connection",):
        return DEFAULT, loc[1:]
    if loc[:1] == ("connections",) and len(loc) >= 2:
        return _TableScope(str(loc[1])), loc[2:]
    return TOP, loc


def _lines(scope: _Scope, error: Mapping[str, Any], rest: tuple[Any, ...]) -> list[str]:
    if error["type"] == RULES:
        names = {field: scope.name(field) for field in scope.fields}
        return [f"{scope.label(field)}: {template.format_map(names)}" for field, template in error["ctx"]["problems"]]
    label = scope.label(str(rest[0])) if rest else scope.whole
    if error["type"] == STATED:
        return [f"{label}: {error['msg']}"]
    field = scope.fields.get(str(rest[0])) if rest else None
    accepted = field[1].description if field else scope.accepted
    value = "the value (not shown)" if field and _is_secret(field[1]) else shown(error.get("input"))
    return [f"{label}: {value} is not {accepted}"]


def problem_lines(error: ValidationError, table: str | None = None) -> list[str]:
    """One line per refused value: `<setting>: <value> is not <what it accepts>`, or the rule it breaks.
    `table`: the errors are one connection's, validated on its own under that name."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        scope, rest = _scope_of(tuple(item["loc"]), table)
        for line in _lines(scope, item, rest):
            if line not in lines:
                lines.append(line)
    return lines
