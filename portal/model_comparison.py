"""Compare two embedding models on the same texts: how many nearest neighbours they share.

For each text, its `k` nearest other texts by cosine similarity (unit vectors, so a dot product)
under model A and under model B; the text's overlap is |N_A(i) ∩ N_B(i)| / k, and the models'
overall overlap is the mean over the texts. Neighbours are found block by block
(`portal.similarity.nearest_neighbours`), so 10,000 texts never build a 10,000 x 10,000 matrix.

The texts where the models disagree most are those with the lowest overlap; among equal overlaps,
those whose two neighbour lists are ordered most differently come first: the rank distance is the
Spearman footrule of the two top-k lists, sum |rank under A - rank under B| over the texts in either
list, a text missing from a list counting as rank k (0 for identical lists, k(k + 1) for disjoint ones).

Pure numpy, no streamlit: the page caches the result per corpus, model pair and k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .embedding_jobs import EmbeddingOutcome
from .similarity import NEIGHBOUR_BLOCK_CELLS, nearest_neighbours, normalise

DEFAULT_K = 10
MAX_K = 50
DISAGREEMENTS = 20  # how many of the most disagreeing texts the page lists
# Above this many texts the comparison runs on a random sample of this size: every text against every
# other, twice, takes about a second at 10,000 texts (bench 5) and grows with the square.
MAX_COMPARED_TEXTS = 20_000
SAMPLE_SEED = 7


def default_k(count: int) -> int:
    """k for `count` texts: DEFAULT_K, or a third of the other texts for a small set (where a k near
    the number of texts makes every list hold nearly every text, and any two models agree)."""
    return max(1, min(DEFAULT_K, (count - 1) // 3))


@dataclass(frozen=True)
class TextNeighbours:
    """One text under both models: its neighbours (indices into the compared texts, best first)."""

    text: int  # index into the texts the outcomes were embedded from
    shared: int
    overlap: float
    rank_distance: int
    neighbours_a: tuple[int, ...]
    neighbours_b: tuple[int, ...]
    scores_a: tuple[float, ...]
    scores_b: tuple[float, ...]


@dataclass(frozen=True)
class ModelComparison:
    """Each compared text's k nearest neighbours under both models, and how many they share.

    `texts` holds the indices (into the texts both outcomes were embedded from) of the texts that have
    a vector under both models; every other array is by position in `texts`, and the neighbour arrays
    hold text indices too. `left_out` counts texts with a vector under only one of the models.
    """

    k: int
    texts: np.ndarray  # (n,) text indices
    neighbours_a: np.ndarray  # (n, k) text indices, best first
    neighbours_b: np.ndarray
    scores_a: np.ndarray  # (n, k) cosine similarities
    scores_b: np.ndarray
    shared: np.ndarray  # (n,) neighbours in both lists
    rank_distance: np.ndarray  # (n,) footrule distance of the two lists
    left_out: int = 0
    sampled_from: int | None = None  # how many texts had both vectors, when a sample of them was compared

    @property
    def count(self) -> int:
        return len(self.texts)

    @property
    def overlap(self) -> np.ndarray:
        """Each text's share of neighbours in common, 0 to 1."""
        return self.shared / self.k if self.k else np.ones(self.count)

    @property
    def mean_overlap(self) -> float:
        """The share of neighbours the two models have in common, over all compared texts."""
        return float(self.overlap.mean()) if self.count else float("nan")

    def histogram(self) -> np.ndarray:
        """How many texts share 0, 1, ..., k of their neighbours (length k + 1)."""
        return np.bincount(self.shared, minlength=self.k + 1)

    def disagreement_order(self) -> np.ndarray:
        """Positions of the texts, most disagreeing first: lowest overlap, then largest rank distance, then text order."""
        return np.lexsort((np.arange(self.count), -self.rank_distance, self.shared))

    def text(self, position: int) -> TextNeighbours:
        return TextNeighbours(
            text=int(self.texts[position]),
            shared=int(self.shared[position]),
            overlap=float(self.overlap[position]),
            rank_distance=int(self.rank_distance[position]),
            neighbours_a=tuple(int(i) for i in self.neighbours_a[position]),
            neighbours_b=tuple(int(i) for i in self.neighbours_b[position]),
            scores_a=tuple(float(s) for s in self.scores_a[position]),
            scores_b=tuple(float(s) for s in self.scores_b[position]),
        )

    def disagreements(self, limit: int = DISAGREEMENTS) -> list[TextNeighbours]:
        """The `limit` texts the models disagree on most, with their neighbours under both."""
        return [self.text(int(position)) for position in self.disagreement_order()[:limit]]


def neighbour_overlap(neighbours_a: np.ndarray, neighbours_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of two (n, k) neighbour lists: how many entries they share, and their footrule rank distance."""
    count, k = neighbours_a.shape
    if k == 0:
        return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64)
    same = neighbours_a[:, :, None] == neighbours_b[:, None, :]  # (n, k, k): a's p-th is b's q-th
    in_b, in_a = same.any(axis=2), same.any(axis=1)
    rank_in_b = np.where(in_b, same.argmax(axis=2), k)  # for each of a's neighbours, its rank under b (k: absent)
    positions = np.arange(k)
    distance = np.abs(positions - rank_in_b).sum(axis=1) + np.where(in_a, 0, k - positions).sum(axis=1)
    return in_b.sum(axis=1).astype(np.int64), distance.astype(np.int64)


def compare_vectors(
    vectors_a: np.ndarray, vectors_b: np.ndarray, k: int = DEFAULT_K, *, block_cells: int = NEIGHBOUR_BLOCK_CELLS
) -> ModelComparison:
    """Compare two models' vectors of the same texts (row i of each is text i; sizes may differ)."""
    if len(vectors_a) != len(vectors_b):
        raise ValueError(f"Both models need a vector for each text ({len(vectors_a)} and {len(vectors_b)} rows)")
    if k < 1:
        raise ValueError("k must be at least 1")
    neighbours_a, scores_a = nearest_neighbours(normalise(vectors_a), k, block_cells)
    neighbours_b, scores_b = nearest_neighbours(normalise(vectors_b), k, block_cells)
    shared, distance = neighbour_overlap(neighbours_a, neighbours_b)
    return ModelComparison(
        k=neighbours_a.shape[1],
        texts=np.arange(len(vectors_a), dtype=np.int64),
        neighbours_a=neighbours_a,
        neighbours_b=neighbours_b,
        scores_a=scores_a,
        scores_b=scores_b,
        shared=shared,
        rank_distance=distance,
    )


def compare_outcomes(a: EmbeddingOutcome, b: EmbeddingOutcome, k: int = DEFAULT_K) -> ModelComparison:
    """Compare two models' runs over the same texts, on the texts that have a vector under both.

    Indices in the result are indices into the texts (`a.texts`), whatever either run left out."""
    if a.texts != b.texts:
        raise ValueError("Both models must have embedded the same texts")
    both, in_a, in_b = np.intersect1d(a.indices, b.indices, assume_unique=True, return_indices=True)
    sampled_from = None
    if len(both) > MAX_COMPARED_TEXTS:
        keep = np.sort(np.random.default_rng(SAMPLE_SEED).choice(len(both), MAX_COMPARED_TEXTS, replace=False))
        sampled_from, both, in_a, in_b = len(both), both[keep], in_a[keep], in_b[keep]
    vectors_a = a.vectors[in_a] if len(both) else np.zeros((0, 1), dtype=np.float32)
    vectors_b = b.vectors[in_b] if len(both) else np.zeros((0, 1), dtype=np.float32)
    comparison = compare_vectors(vectors_a, vectors_b, k)
    both = both.astype(np.int64)
    return ModelComparison(
        k=comparison.k,
        texts=both,
        neighbours_a=both[comparison.neighbours_a],
        neighbours_b=both[comparison.neighbours_b],
        scores_a=comparison.scores_a,
        scores_b=comparison.scores_b,
        shared=comparison.shared,
        rank_distance=comparison.rank_distance,
        left_out=len(np.union1d(a.indices, b.indices)) - (sampled_from or len(both)),
        sampled_from=sampled_from,
    )


def disagreement_table(comparison: ModelComparison, texts: Sequence[str], limit: int = DISAGREEMENTS) -> pd.DataFrame:
    """The most disagreeing texts, one row each: the text, how many neighbours the models share, and
    the neighbours' texts under A and under B, best first."""
    rows = comparison.disagreements(limit)
    return pd.DataFrame(
        {
            "text": [texts[row.text] for row in rows],
            "shared": [row.shared for row in rows],
            "overlap": [row.overlap for row in rows],
            "neighbours under A": [[texts[i] for i in row.neighbours_a] for row in rows],
            "neighbours under B": [[texts[i] for i in row.neighbours_b] for row in rows],
        }
    )


def overlap_table(comparison: ModelComparison, texts: Sequence[str]) -> pd.DataFrame:
    """Every compared text with its overlap, most disagreeing first."""
    order = comparison.disagreement_order()
    return pd.DataFrame(
        {
            "text": [texts[int(comparison.texts[position])] for position in order],
            "shared": comparison.shared[order],
            "overlap": comparison.overlap[order],
            "rank distance": comparison.rank_distance[order],
        }
    )
