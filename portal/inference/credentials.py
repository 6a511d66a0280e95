"""The credential decision, shared by every backend: API key, Entra ID (with which scope) or nothing.

One function decides (`credential_for`); each backend turns the decision into what its SDK takes
(an `AzureKeyCredential` or a token credential with `credential_scopes` for azure-ai-inference; a key
or `get_bearer_token_provider(credential, scope)` as the openai client's `api_key`). Acquiring a token
is the one thing tests fake: they pass their own `token_credential_factory`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ErrorKind, InferenceError

if TYPE_CHECKING:
    from portal.settings import Connection, Secret

AUTH_KEY, AUTH_ENTRA, AUTH_NONE = "key", "entra", "none"
TokenCredentialFactory = Callable[[bool], Any]  # is_async -> an azure-identity (async) TokenCredential


@dataclass(frozen=True)
class CredentialPlan:
    method: str  # AUTH_KEY, AUTH_ENTRA or AUTH_NONE
    api_key: Secret | None = field(default=None, repr=False)
    scope: str | None = None  # the Entra ID token scope


def credential_for(connection: Connection) -> CredentialPlan:
    """What to authenticate with: the key, Entra ID with the connection's (or its kind's) scope, or none."""
    if connection.auth == AUTH_KEY and connection.api_key:
        return CredentialPlan(AUTH_KEY, api_key=connection.api_key)
    if connection.auth == AUTH_ENTRA:
        scope = connection.token_scope or connection.traits.token_scope
        if scope is None:
            raise InferenceError(ErrorKind.CONFIG, f"{connection.kind.value} endpoints do not accept Entra ID tokens")
        return CredentialPlan(AUTH_ENTRA, scope=scope)
    return CredentialPlan(AUTH_NONE)


def default_token_credential(is_async: bool = False) -> Any:
    """DefaultAzureCredential (imported lazily: only Entra ID connections need azure-identity)."""
    if is_async:
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

        return AsyncDefaultAzureCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def bearer_token_provider(credential: Any, scope: str, is_async: bool = False) -> Callable[[], Any]:
    """azure-identity's `get_bearer_token_provider`: a callable giving a fresh token (cached and
    refreshed before it expires), which the openai client accepts as `api_key`."""
    if is_async:
        from azure.identity.aio import get_bearer_token_provider as get_async_provider

        return get_async_provider(credential, scope)
    from azure.identity import get_bearer_token_provider

    return get_bearer_token_provider(credential, scope)
