"""One factory that picks the backend for a connection, and the tracing switch over every backend.

The backends are imported only when a connection needs them (each pulls in its SDK, which costs the
first page of a fresh app hundreds of milliseconds), and each is the only importer of its SDK. Adding
a backend is one module and one entry in `BACKENDS`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .credentials import TokenCredentialFactory
from .endpoints import API_AZURE_INFERENCE, API_OPENAI

if TYPE_CHECKING:
    from portal.settings import Connection

    from .protocol import InferenceBackend

# api -> (module, class): the module is the one importer of that API's SDK.
BACKENDS: dict[str, tuple[str, str]] = {
    API_OPENAI: ("portal.inference.openai_backend", "OpenAIBackend"),
    API_AZURE_INFERENCE: ("portal.inference.azure_backend", "AzureInferenceBackend"),
}


def _module(api: str) -> Any:
    module_name, _ = BACKENDS[api]
    return import_module(module_name)


def make_backend(
    connection: Connection, *, read_timeout_seconds: float = 120.0, token_credential_factory: TokenCredentialFactory | None = None
) -> InferenceBackend:
    """The backend for `connection.api`: clients are created here, once, and meant to be shared."""
    backend_class = getattr(_module(connection.api), BACKENDS[connection.api][1])
    kwargs: dict[str, Any] = {"read_timeout_seconds": read_timeout_seconds}
    if token_credential_factory is not None:
        kwargs["token_credential_factory"] = token_credential_factory
    return backend_class(connection, **kwargs)


def instrument_backends(content_recording: bool) -> None:
    """Switch on OpenTelemetry spans for every backend's SDK (message content only if asked)."""
    for api in BACKENDS:
        _module(api).instrument(content_recording)


def uninstrument_backends() -> None:
    for api in BACKENDS:
        _module(api).uninstrument()
