"""`local-embed` and `local-image-embed`: deterministic embeddings that need no model weights.

(`all-MiniLM-L6-v2`, a real model from the optional extra, lives in `sentence_model.py`.)

`local-embed` hashes words and character trigrams into a vector of the requested size and
L2-normalises it (the "hashing trick"): identical texts score 1.0 and texts that share words score
higher than unrelated ones. It is lexical, not semantic. `local-image-embed` embeds the decoded pixels
(16x16 RGB thumbnail, centred) through a fixed random projection.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

import numpy as np
from PIL import Image

from .media import decode_data_url, load_image
from .sentence_model import MINILM_MODEL, embed_texts_minilm

_WORD = re.compile(r"[\w']+", re.UNICODE)
TRIGRAM_WEIGHT = 0.5


@lru_cache(maxsize=200_000)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, (1.0 if (value >> 63) & 1 else -1.0)


@lru_cache(maxsize=100_000)
def _word_features(word: str, dimensions: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Buckets and weights of a word and its character trigrams (cached: texts repeat words)."""
    features = [_bucket("w:" + word, dimensions)]
    padded = f"#{word}#"
    features += [(index, sign * TRIGRAM_WEIGHT) for index, sign in (_bucket("c:" + padded[i : i + 3], dimensions) for i in range(len(padded) - 2))]
    indices, weights = zip(*features)
    return indices, weights


def embed_text(text: str, dimensions: int) -> np.ndarray:
    indices: list[int] = []
    weights: list[float] = []
    for word in _WORD.findall(text.lower()):
        word_indices, word_weights = _word_features(word, dimensions)
        indices += word_indices
        weights += word_weights
    # Sums of +-1 and +-0.5 are exact in any order, so one bincount equals adding feature by feature.
    vector = np.bincount(indices, weights, minlength=dimensions).astype(np.float32) if indices else np.zeros(dimensions, np.float32)
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        # Text without word characters still gets a stable unit vector of its own.
        index, sign = _bucket("empty:" + text, dimensions)
        vector[index] = sign
        return vector
    return vector / norm


def embed_texts(texts: list[str], dimensions: int) -> np.ndarray:
    return np.stack([embed_text(text, dimensions) for text in texts]) if texts else np.zeros((0, dimensions), np.float32)


def embed_texts_with(model: str, texts: list[str], dimensions: int) -> np.ndarray:
    """Embed with the named text model: all-MiniLM-L6-v2 (optional extra) or the hashed `local-embed`."""
    if model == MINILM_MODEL:
        return embed_texts_minilm(texts, dimensions)
    return embed_texts(texts, dimensions)


_THUMBNAIL = 16


@lru_cache(maxsize=8)
def _projection(dimensions: int) -> np.ndarray:
    rng = np.random.default_rng(20240501)
    return rng.standard_normal((_THUMBNAIL * _THUMBNAIL * 3, dimensions)).astype(np.float32)


class ImageDecodeError(ValueError):
    pass


def embed_image(data_url: str, dimensions: int) -> np.ndarray:
    decoded = decode_data_url(data_url)
    if decoded is None:
        raise ImageDecodeError("The image must be a base64 data URL, e.g. data:image/png;base64,...")
    image = load_image(decoded[1])
    if image is None:
        raise ImageDecodeError("The image could not be decoded.")
    pixels = np.asarray(image.convert("RGB").resize((_THUMBNAIL, _THUMBNAIL), Image.Resampling.BOX), dtype=np.float32)
    features = pixels.reshape(-1) / 255.0
    features -= features.mean()
    vector = features @ _projection(dimensions)
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector = _projection(dimensions)[0].copy()
        norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32)


def encode_vector(vector: np.ndarray, encoding_format: str) -> list[float] | list[int] | str:
    """Encode one embedding the way the service does for each `encoding_format`."""
    vector = vector.astype(np.float32)
    if encoding_format == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    if encoding_format == "int8":
        return np.clip(np.round(vector * 127), -128, 127).astype(int).tolist()
    if encoding_format == "uint8":
        return np.clip(np.round((vector + 1.0) * 127.5), 0, 255).astype(int).tolist()
    if encoding_format in ("binary", "ubinary"):
        packed = np.packbits(vector > 0)
        return (packed.astype(np.int8) if encoding_format == "binary" else packed).astype(int).tolist()
    return [float(x) for x in vector]
