"""What kind of endpoint a URL is, and what that implies: which API (SDK) speaks to it, the Entra ID
token scope, whether `model` goes in the body, whether `/info` exists, how models are discovered.

- Foundry's OpenAI v1 API (`…/openai/v1` on `*.openai.azure.com`, `*.services.ai.azure.com`, or any
  host, since custom domains and gateways front the same API), OpenAI (`api.openai.com`) and other
  OpenAI-compatible servers (`…/v1`: Ollama, vLLM, LM Studio, llama.cpp) use the `openai` package.
- The Azure AI Model Inference kinds (Foundry `/models`, retired on 2026-08-26, serverless, managed
  compute, Azure OpenAI deployment URLs with dated api-versions, GitHub Models) use `azure-ai-inference`.
- Serverless and managed compute answer `/info` and take the ML scope; Foundry and Azure OpenAI take
  the Cognitive Services scope and have no `/info`; GitHub Models and OpenAI-compatible servers have no
  `/info`, no Entra ID, and need `model` in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlparse

ML_SCOPE = "https://ml.azure.com/.default"
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
AI_AZURE_SCOPE = "https://ai.azure.com/.default"  # named by Microsoft's newer Foundry pages; configurable per connection
AZURE_OPENAI_API_VERSION = "2024-06-01"
FOUNDRY_V1_API_VERSIONS = ("v1", "preview")  # the only values the v1 API accepts (it needs none)

API_OPENAI, API_AZURE_INFERENCE = "openai", "azure-ai-inference"
APIS = (API_OPENAI, API_AZURE_INFERENCE)
LISTS_DEPLOYMENTS, LISTS_MODELS = "deployments", "models"


class EndpointKind(str, Enum):
    FOUNDRY_V1 = "foundry_v1"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    FOUNDRY = "foundry"
    SERVERLESS = "serverless"
    MANAGED_COMPUTE = "managed_compute"
    AZURE_OPENAI = "azure_openai"
    GITHUB_MODELS = "github_models"
    LOCAL = "local"


@dataclass(frozen=True)
class EndpointTraits:
    kind: EndpointKind
    token_scope: str | None  # default scope for Entra ID; None = Entra ID not supported
    sends_model: bool  # whether `model` goes in the body
    requires_model: bool  # whether a chat/embeddings model must be configured (none can be discovered)
    has_info: bool  # whether GET /info is worth trying
    default_api_version: str | None = None
    default_api: str = API_AZURE_INFERENCE
    model_listing: str | None = None  # how the endpoint lists what it serves: deployments, models or not at all


TRAITS = {
    EndpointKind.FOUNDRY_V1: EndpointTraits(
        EndpointKind.FOUNDRY_V1, COGNITIVE_SCOPE, True, False, False, default_api=API_OPENAI, model_listing=LISTS_DEPLOYMENTS
    ),
    EndpointKind.OPENAI: EndpointTraits(EndpointKind.OPENAI, None, True, False, False, default_api=API_OPENAI, model_listing=LISTS_MODELS),
    EndpointKind.OPENAI_COMPATIBLE: EndpointTraits(
        EndpointKind.OPENAI_COMPATIBLE, None, True, False, False, default_api=API_OPENAI, model_listing=LISTS_MODELS
    ),
    EndpointKind.FOUNDRY: EndpointTraits(EndpointKind.FOUNDRY, COGNITIVE_SCOPE, True, True, False),
    EndpointKind.SERVERLESS: EndpointTraits(EndpointKind.SERVERLESS, ML_SCOPE, False, False, True),
    EndpointKind.MANAGED_COMPUTE: EndpointTraits(EndpointKind.MANAGED_COMPUTE, ML_SCOPE, False, False, True),
    EndpointKind.AZURE_OPENAI: EndpointTraits(
        EndpointKind.AZURE_OPENAI, COGNITIVE_SCOPE, False, False, False, AZURE_OPENAI_API_VERSION
    ),
    EndpointKind.GITHUB_MODELS: EndpointTraits(EndpointKind.GITHUB_MODELS, None, True, True, False),
    EndpointKind.LOCAL: EndpointTraits(EndpointKind.LOCAL, None, True, False, True),
}


def detect_kind(endpoint: str) -> EndpointKind:
    """Guess the endpoint kind from its URL; a connection may override the guess."""
    parsed = urlparse(endpoint)
    host = (parsed.hostname or "").lower()
    path = parsed.path.rstrip("/").lower()
    if path.endswith("/openai/v1"):
        return EndpointKind.FOUNDRY_V1
    if "/openai/deployments/" in path + "/":
        return EndpointKind.AZURE_OPENAI
    if host in ("models.inference.ai.azure.com", "models.github.ai"):
        return EndpointKind.GITHUB_MODELS
    if host == "api.openai.com":
        return EndpointKind.OPENAI
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


# Families that answer only on the Responses API (chat completions refuse them): codex, deep-research,
# the -pro reasoning models, computer-use. A connection's `responses_models` names others.
_RESPONSES_ONLY = re.compile(r"codex|deep-research|\bo\d+-pro\b|gpt-5(\.\d+)?-pro|computer-use", re.IGNORECASE)


def needs_responses_api(model: str) -> bool:
    """Whether a model's name says it answers only on the Responses API."""
    return bool(_RESPONSES_ONLY.search(model))


def traits_for(kind: EndpointKind) -> EndpointTraits:
    return TRAITS[kind]


def resource_root(endpoint: str) -> str:
    """`https://<resource>.openai.azure.com` from a v1 or deployment URL (where `/openai/deployments` lives)."""
    parsed = urlparse(endpoint)
    path = parsed.path
    cut = path.lower().find("/openai/")
    prefix = path[:cut] if cut >= 0 else path.rstrip("/")
    return f"{parsed.scheme}://{parsed.netloc}{prefix}"


def deployment_name(endpoint: str) -> str | None:
    """The deployment named in an Azure OpenAI deployment URL (`…/openai/deployments/<name>`)."""
    parts = urlparse(endpoint).path.rstrip("/").split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "deployments" and index > 0 and parts[index - 1].lower() == "openai":
            return parts[index + 1] or None
    return None
