"""Vector maths for the embeddings explorer (pure numpy; no streamlit).

Everything here is linear in the number of vectors except `cosine_matrix`, which callers cap
(`HEATMAP_MAX_ITEMS`): nearest neighbours for 10,000 texts are computed block by block, keeping
only each row's top k, so memory stays at one block of scores (`NEIGHBOUR_BLOCK_CELLS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

HEATMAP_MAX_ITEMS = 300
NEIGHBOUR_BLOCK_CELLS = 4_000_000  # scores held at once (16 MB of float32) while finding neighbours


def normalise(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def truncate_and_normalise(vectors: np.ndarray, dimensions: int | None) -> np.ndarray:
    """Keep the first `dimensions` components and re-normalise, as Matryoshka-trained models expect.

    A service that ignores `dimensions` (or a user who truncates locally) would otherwise leave
    vectors shorter than unit length, and cosine scores would no longer be plain dot products.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if dimensions is not None and 0 < dimensions < matrix.shape[-1]:
        matrix = matrix[..., :dimensions]
    return normalise(matrix)


def cosine(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    unit = normalise(np.vstack([np.asarray(a, np.float32), np.asarray(b, np.float32)]))
    return float(unit[0] @ unit[1])


def cosine_matrix(labels: Sequence[str], vectors: Sequence[Sequence[float]] | np.ndarray) -> pd.DataFrame:
    """The full similarity matrix as a labelled frame: quadratic, so only for capped sets."""
    unit = normalise(vectors)
    return pd.DataFrame(unit @ unit.T, index=list(labels), columns=list(labels)).round(3)


def top_k(query: np.ndarray, unit_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of the `k` vectors closest to `query`, best first (linear time)."""
    if len(unit_vectors) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores = unit_vectors @ normalise(query)[0]
    k = min(k, len(scores))
    candidates = np.argpartition(-scores, k - 1)[:k]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return order, scores[order]


def nearest_neighbours(
    unit_vectors: np.ndarray, k: int, block_cells: int = NEIGHBOUR_BLOCK_CELLS
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` nearest other rows (indices, scores), computed in row blocks.

    Never builds the N x N matrix: a block of rows is scored against all rows, the top k kept,
    and the block discarded. Shapes are (N, min(k, N - 1)).
    """
    count = len(unit_vectors)
    k = max(0, min(k, count - 1))
    indices = np.zeros((count, k), dtype=np.int64)
    scores = np.zeros((count, k), dtype=np.float32)
    if k == 0:
        return indices, scores
    block = max(1, block_cells // count)
    for start in range(0, count, block):
        stop = min(count, start + block)
        block_scores = unit_vectors[start:stop] @ unit_vectors.T
        block_scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # a text is not its own neighbour
        candidates = np.argpartition(-block_scores, k - 1, axis=1)[:, :k]
        candidate_scores = np.take_along_axis(block_scores, candidates, axis=1)
        order = np.argsort(-candidate_scores, axis=1, kind="stable")
        indices[start:stop] = np.take_along_axis(candidates, order, axis=1)
        scores[start:stop] = np.take_along_axis(candidate_scores, order, axis=1)
    return indices, scores


def cluster_order(clusters: Sequence[int] | np.ndarray, unit_vectors: np.ndarray) -> np.ndarray:
    """Row order for a heatmap: grouped by cluster, and within a cluster by closeness to its centre."""
    clusters = np.asarray(clusters)
    order: list[int] = []
    for cluster in np.unique(clusters):
        members = np.flatnonzero(clusters == cluster)
        centre = unit_vectors[members].mean(axis=0)
        order.extend(members[np.argsort(-(unit_vectors[members] @ centre), kind="stable")].tolist())
    return np.asarray(order, dtype=np.int64)


def heatmap_rows(
    unit_vectors: np.ndarray, clusters: Sequence[int] | np.ndarray, cap: int = HEATMAP_MAX_ITEMS, seed: int = 7
) -> np.ndarray:
    """At most `cap` rows (a seeded random sample beyond that), ordered by cluster for the heatmap."""
    count = len(unit_vectors)
    chosen = np.arange(count) if count <= cap else np.sort(np.random.default_rng(seed).choice(count, size=cap, replace=False))
    return chosen[cluster_order(np.asarray(clusters)[chosen], unit_vectors[chosen])]
