"""The models the local server serves, and what `/info` says about each."""

from __future__ import annotations

from dataclasses import dataclass

from .sentence_model import MINILM_DIMENSIONS, MINILM_MODEL, minilm_available

CHAT = "chat"
EMBEDDINGS = "embeddings"
IMAGE_EMBEDDINGS = "image_embeddings"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str  # CHAT, EMBEDDINGS or IMAGE_EMBEDDINGS
    model_type: str  # what /info reports; values the SDK's load_client understands
    provider: str = "Local"
    default_dimensions: int | None = None
    max_dimensions: int | None = None
    reasoning: bool = False  # thinks before it answers (reasoning tokens; `max_completion_tokens` on OpenAI routes)
    responses_only: bool = False  # answers only on the Responses API (as the codex and deep-research families do)

    def info(self) -> dict[str, str]:
        return {
            "model_name": self.name,
            "model_type": self.model_type,
            "model_provider_name": self.provider,
            "served_model_name": self.name,
            "served_model_type": self.model_type,
        }


DEFAULT_CHAT_MODEL = "local-chat"
DEFAULT_EMBEDDINGS_MODEL = "local-embed"
DEFAULT_IMAGE_EMBEDDINGS_MODEL = "local-image-embed"
REASONING_CHAT_MODEL = "local-reasoner"
RESPONSES_ONLY_MODEL = "local-codex"

# "chat-completion" and "embedding" are what real serverless endpoints answer; load_client maps them.
BUILTIN_MODELS = (
    ModelEntry(DEFAULT_CHAT_MODEL, CHAT, "chat-completion"),
    # Streams its reasoning before the answer: `reasoning_content` deltas on the OpenAI routes (as
    # DeepSeek-R1 does on Foundry v1), `<think>...</think>` at the start of the content elsewhere.
    ModelEntry(REASONING_CHAT_MODEL, CHAT, "chat-completion", provider="Local (reasoning)", reasoning=True),
    # A reasoning model that chat completions refuse, like codex and deep-research: Responses API only.
    ModelEntry(RESPONSES_ONLY_MODEL, CHAT, "chat-completion", provider="Local (Responses only)", reasoning=True, responses_only=True),
    ModelEntry(DEFAULT_EMBEDDINGS_MODEL, EMBEDDINGS, "embedding", default_dimensions=384, max_dimensions=3072),
    ModelEntry(DEFAULT_IMAGE_EMBEDDINGS_MODEL, IMAGE_EMBEDDINGS, "image_embeddings", default_dimensions=512, max_dimensions=3072),
)

# Served only when the optional extra (requirements-minilm.txt) is installed; see sentence_model.py.
MINILM_EMBEDDINGS_MODEL = MINILM_MODEL
MINILM_ENTRY = ModelEntry(
    MINILM_EMBEDDINGS_MODEL,
    EMBEDDINGS,
    "embedding",
    provider="sentence-transformers",
    default_dimensions=MINILM_DIMENSIONS,
    max_dimensions=MINILM_DIMENSIONS,
)


def default_models() -> tuple[ModelEntry, ...]:
    """The built-in models, plus all-MiniLM-L6-v2 when sentence-transformers and its weights are installed."""
    return BUILTIN_MODELS + ((MINILM_ENTRY,) if minilm_available() else ())


OPERATION_NAMES = {CHAT: "chatCompletion", EMBEDDINGS: "embeddings", IMAGE_EMBEDDINGS: "imageEmbeddings"}
