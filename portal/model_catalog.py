"""Which chat and embeddings models a connection offers: the configured lists, else what the endpoint lists.

Foundry v1 connections list the resource's deployments (`GET /openai/deployments`), OpenAI and
OpenAI-compatible servers their models (`GET /v1/models`). Configured lists (`chat_models`,
`embeddings_models`) always win; a single configured `chat_model` comes first and the listing adds
the rest. When the listing fails (401, 403, 404, unreachable), the configured models are offered
with one line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .inference import CHAT_MODEL, EMBEDDINGS_MODEL, DeployedModel, InferenceBackend, InferenceError
from .inference.endpoints import needs_responses_api
from .settings import Connection

CONFIGURED, DISCOVERED = "configured", "discovered"


@dataclass(frozen=True)
class ModelChoices:
    chat: tuple[str, ...]
    embeddings: tuple[str, ...]
    source: str  # CONFIGURED or DISCOVERED
    listed: tuple[DeployedModel, ...] = ()  # what the endpoint listed, for the model info page
    note: str | None = None  # why the listing was not used

    def responses_only(self, connection: Connection) -> tuple[str, ...]:
        """The chat models known to answer only on the Responses API (configured, or by family name)."""
        return tuple(m for m in self.chat if m in connection.responses_models or needs_responses_api(m))

    @property
    def default_chat(self) -> str | None:
        return self.chat[0] if self.chat else None

    @property
    def default_embeddings(self) -> str | None:
        return self.embeddings[0] if self.embeddings else None


def _merge(first: str | None, listed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(((first,) if first else ()) + listed))


def configured_choices(connection: Connection) -> ModelChoices:
    embeddings = tuple(connection.embeddings_models) or ((connection.embeddings_model,) if connection.embeddings_model else ())
    if connection.embeddings_model and connection.embeddings_model not in embeddings:
        embeddings = (connection.embeddings_model, *embeddings)
    return ModelChoices(chat=connection.model_choices(), embeddings=embeddings, source=CONFIGURED)


def model_choices(connection: Connection, backend: InferenceBackend) -> ModelChoices:
    """The models to offer; asks the endpoint (one request) where it can list them."""
    configured = configured_choices(connection)
    listing_kind = backend.features().model_listing
    if listing_kind is None or (connection.chat_models and connection.embeddings_models):
        return configured
    try:
        listing = backend.list_models()
    except InferenceError as exc:
        status = f"HTTP {exc.status_code}" if exc.status_code else exc.kind.value.replace("_", " ")
        note = f"The endpoint's {listing_kind} list could not be read ({status}), so the configured models are offered: {exc.message}"
        return ModelChoices(configured.chat, configured.embeddings, CONFIGURED, note=note)
    chat = connection.chat_models or _merge(connection.chat_model, listing.names(CHAT_MODEL))
    embeddings = connection.embeddings_models or _merge(connection.embeddings_model, listing.names(EMBEDDINGS_MODEL))
    return ModelChoices(tuple(chat), tuple(embeddings), DISCOVERED, listed=listing.models)
