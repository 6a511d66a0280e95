"""Vector maths for the embeddings explorer (pure numpy; no streamlit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def normalise(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def cosine_matrix(labels: Sequence[str], vectors: Sequence[Sequence[float]]) -> pd.DataFrame:
    unit = normalise(vectors)
    return pd.DataFrame(unit @ unit.T, index=list(labels), columns=list(labels)).round(3)
