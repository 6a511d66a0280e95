"""What kind of endpoint a URL is, and what that implies (token scope, `model` in the body, `/info`).

Decisions from PROTOCOL.md: serverless and managed compute answer `/info` and take the ML scope;
Foundry `/models` and Azure OpenAI take the Cognitive Services scope and 404 on `/info`; GitHub
Models and OpenAI-compatible servers have no `/info` and need `model` in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlparse

ML_SCOPE = "https://ml.azure.com/.default"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
AZURE_OPENAI_API_VERSION = "2024-06-01"


class EndpointKind(str, Enum):
    FOUNDRY = "foundry"
    SERVERLESS = "serverless"
    MANAGED_COMPUTE = "managed_compute"
    AZURE_OPENAI = "azure_openai"
    GITHUB_MODELS = "github_models"
    OPENAI_COMPATIBLE = "openai_compatible"
    LOCAL = "local"


@dataclass(frozen=True)
class EndpointTraits:
    kind: EndpointKind
    token_scope: str | None  # for Entra ID; None = Entra ID not supported
    sends_model: bool  # whether `model` goes in the body
    requires_model: bool  # whether a chat/embeddings model must be configured
    has_info: bool  # whether GET /info is worth trying
    default_api_version: str | None = None


TRAITS = {
    EndpointKind.FOUNDRY: EndpointTraits(EndpointKind.FOUNDRY, COGNITIVE_SCOPE, True, True, False),
    EndpointKind.SERVERLESS: EndpointTraits(EndpointKind.SERVERLESS, ML_SCOPE, False, False, True),
    EndpointKind.MANAGED_COMPUTE: EndpointTraits(EndpointKind.MANAGED_COMPUTE, ML_SCOPE, False, False, True),
    EndpointKind.AZURE_OPENAI: EndpointTraits(
        EndpointKind.AZURE_OPENAI, COGNITIVE_SCOPE, False, False, False, AZURE_OPENAI_API_VERSION
    ),
    EndpointKind.GITHUB_MODELS: EndpointTraits(EndpointKind.GITHUB_MODELS, None, True, True, False),
    EndpointKind.OPENAI_COMPATIBLE: EndpointTraits(EndpointKind.OPENAI_COMPATIBLE, None, True, True, False),
    EndpointKind.LOCAL: EndpointTraits(EndpointKind.LOCAL, None, True, False, True),
}


def detect_kind(endpoint: str) -> EndpointKind:
    """Guess the endpoint kind from its URL; a connection may override the guess."""
    parsed = urlparse(endpoint)
    host = (parsed.hostname or "").lower()
    path = parsed.path.rstrip("/").lower()
    if "/openai/deployments/" in path + "/":
        return EndpointKind.AZURE_OPENAI
    if host in ("models.inference.ai.azure.com", "models.github.ai"):
        return EndpointKind.GITHUB_MODELS
    if path.endswith("/models"):
        return EndpointKind.FOUNDRY
    if host.endswith(".models.ai.azure.com"):
        return EndpointKind.SERVERLESS
    if host.endswith(".inference.ml.azure.com"):
        return EndpointKind.MANAGED_COMPUTE
    if host.endswith((".services.ai.azure.com", ".cognitiveservices.azure.com")):
        return EndpointKind.FOUNDRY
    if path.endswith("/v1"):
        return EndpointKind.OPENAI_COMPATIBLE
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local"):
        return EndpointKind.LOCAL
    return EndpointKind.SERVERLESS


def traits_for(kind: EndpointKind) -> EndpointTraits:
    return TRAITS[kind]
