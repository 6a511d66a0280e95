"""Reading the JSON both APIs share, straight from the response body: embeddings and model listings.

Embeddings are decoded from the raw body rather than through the SDKs' typed results: both build an
object per vector (and azure-ai-inference re-serialises every float on access), which cost more than
the request itself for a batch of 64 (benchmark 5). The field names are the same in the Azure AI
Model Inference API and the OpenAI API.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import numpy as np

from .errors import ErrorKind, InferenceError
from .types import CHAT_MODEL, EMBEDDINGS_MODEL, DeployedModel, EmbeddingBatch, ModelListing

_EMBEDDING_NAMES = re.compile(r"embed|minilm|mpnet|bge-|\be5-|gte-|nomic|mxbai|arctic-embed", re.IGNORECASE)


def decode_embeddings(body: bytes) -> EmbeddingBatch:
    try:
        result = json.loads(body)
        items = sorted(result["data"], key=lambda item: item["index"])
        raws = [item["embedding"] for item in items]
        if raws and isinstance(raws[0], str):  # base64: little-endian float32
            rows = [np.frombuffer(base64.b64decode(raw), dtype="<f4") for raw in raws]
        else:
            rows = [np.asarray(raw, dtype=np.float32) for raw in raws]
        vectors = np.stack(rows).astype(np.float32, copy=False) if rows else np.zeros((0, 0), dtype=np.float32)
    except (ValueError, KeyError, TypeError) as exc:  # not JSON, fields missing, vectors of different sizes
        raise InferenceError(ErrorKind.UNKNOWN, f"The endpoint's embeddings response could not be read ({exc})") from exc
    usage = result.get("usage") or {}
    return EmbeddingBatch(vectors=vectors, model=result.get("model"), prompt_tokens=int(usage.get("prompt_tokens") or 0))


def model_kind(name: str, capabilities: Any = None) -> str:
    """Chat or embeddings: from the listing's capabilities where it gives them, else from the name."""
    if isinstance(capabilities, dict):
        if capabilities.get("embeddings") and not capabilities.get("chat_completion"):
            return EMBEDDINGS_MODEL
        if capabilities.get("chat_completion"):
            return CHAT_MODEL
    return EMBEDDINGS_MODEL if _EMBEDDING_NAMES.search(name) else CHAT_MODEL


def _listing(entries: Any, source: str) -> ModelListing:
    if not isinstance(entries, list):
        raise InferenceError(ErrorKind.UNKNOWN, f"The endpoint's {source} list could not be read")
    models = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        status = entry.get("status")
        if isinstance(status, str) and status not in ("succeeded", "Succeeded"):
            continue  # a deployment still being created (or failed) cannot answer yet
        model: Any = entry.get("model")
        version = None
        if isinstance(model, dict):  # newer listings: {"name", "version", "format"}
            model, version = model.get("name"), model.get("version")
        model = model if isinstance(model, str) else None
        # A deployment's own name can be anything ("prod-1"); its model's name says more.
        kind = model_kind(" ".join(filter(None, (entry["id"], model))), entry.get("capabilities"))
        models.append(DeployedModel(name=entry["id"], kind=kind, model=model, version=version))
    return ModelListing(models=tuple(models), source=source)


def parse_listing(body: bytes, source: str) -> ModelListing:
    """`{"data": [...]}` from `GET /openai/deployments` or `GET /models`."""
    try:
        result = json.loads(body)
    except ValueError as exc:
        raise InferenceError(ErrorKind.UNKNOWN, f"The endpoint's {source} list is not JSON ({exc})") from exc
    return _listing(result.get("data") if isinstance(result, dict) else result, source)
