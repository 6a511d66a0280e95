"""CSV exports of the explorer: one row per text (coordinates, cluster, nearest neighbours), and
the (capped) similarity matrix. Pure pandas; the page only offers the bytes for download."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .projections import Projection

AXES = ("x", "y", "z")


def points_table(
    texts: Sequence[str],
    labels: Sequence[str] | None,
    clusters: np.ndarray,
    projection: Projection | None,
    neighbour_rows: np.ndarray,
    neighbour_scores: np.ndarray,
) -> pd.DataFrame:
    """One row per embedded text. Texts left out of a sampled projection have empty coordinates.

    `texts`, `labels`, `clusters` and the neighbour arrays are aligned with the embedded vectors;
    neighbour rows index into `texts`.
    """
    count = len(texts)
    table = pd.DataFrame({"row": np.arange(1, count + 1), "text": list(texts)})
    if labels is not None:
        table["label"] = list(labels)
    table["cluster"] = np.asarray(clusters, dtype=np.int64)
    if projection is not None:
        dims = projection.coords.shape[1]
        for axis in range(dims):
            column = np.full(count, np.nan, dtype=np.float64)
            column[projection.indices] = projection.coords[:, axis]
            table[AXES[axis]] = column
    for rank in range(neighbour_rows.shape[1] if neighbour_rows.ndim == 2 else 0):
        rows = neighbour_rows[:, rank]
        table[f"neighbour_{rank + 1}_row"] = rows + 1
        table[f"neighbour_{rank + 1}_text"] = [texts[i] for i in rows]
        table[f"neighbour_{rank + 1}_score"] = np.round(neighbour_scores[:, rank].astype(np.float64), 4)
    return table


def to_csv_bytes(table: pd.DataFrame, index: bool = False) -> bytes:
    return table.to_csv(index=index).encode("utf-8")


def similarity_table(names: Sequence[str], matrix: np.ndarray) -> pd.DataFrame:
    """The similarity matrix with the texts as row and column headers (callers cap its size)."""
    return pd.DataFrame(np.round(matrix.astype(np.float64), 4), index=list(names), columns=list(names))
