"""CSV exports: texts with coordinates, cluster and nearest neighbours; the similarity matrix."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from portal.embedding_export import points_table, similarity_table, to_csv_bytes
from portal.projections import Projection
from portal.similarity import nearest_neighbours, normalise


def test_points_csv_has_coordinates_cluster_and_ranked_neighbours():
    texts = ["cat", "kitten", "car"]
    vectors = normalise([[1, 0.1], [1, 0.2], [0, 1]])
    rows, scores = nearest_neighbours(vectors, 2)
    projection = Projection(
        coords=np.array([[0.5, 1.5], [2.5, 3.5]], np.float32), indices=np.array([0, 2]), method="t-SNE", total=3
    )

    table = points_table(texts, ["pet", "pet", "vehicle"], np.array([0, 0, 1]), projection, rows, scores)
    parsed = pd.read_csv(io.BytesIO(to_csv_bytes(table)))

    assert list(parsed.columns) == [
        "row",
        "text",
        "label",
        "cluster",
        "x",
        "y",
        "neighbour_1_row",
        "neighbour_1_text",
        "neighbour_1_score",
        "neighbour_2_row",
        "neighbour_2_text",
        "neighbour_2_score",
    ]
    assert parsed["neighbour_1_text"].tolist() == ["kitten", "cat", "kitten"]
    assert parsed.loc[0, "neighbour_1_score"] > parsed.loc[0, "neighbour_2_score"]
    assert parsed.loc[2, "x"] == 2.5 and np.isnan(parsed.loc[1, "x"])  # not in the t-SNE sample


def test_similarity_matrix_csv_is_labelled_by_text():
    matrix = np.array([[1.0, 0.25], [0.25, 1.0]])

    parsed = pd.read_csv(io.BytesIO(to_csv_bytes(similarity_table(["a", "b"], matrix), index=True)), index_col=0)

    assert list(parsed.columns) == ["a", "b"] and list(parsed.index) == ["a", "b"]
    assert parsed.loc["a", "b"] == 0.25
