"""Projections, clusters and similarity maths as pure functions on synthetic vectors."""

from __future__ import annotations

import numpy as np
import pytest

from portal import projections
from portal.projections import PCA, TSNE, UMAP, kmeans_clusters, project, suggested_cluster_count
from portal.similarity import (
    cluster_order,
    cosine,
    heatmap_rows,
    nearest_neighbours,
    normalise,
    top_k,
    truncate_and_normalise,
)


def blobs(per_blob: int = 30, dimensions: int = 16, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Three tight, well separated groups of unit vectors and their true group ids."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dimensions)[:3] * 5
    points = np.vstack([centre + rng.normal(scale=0.3, size=(per_blob, dimensions)) for centre in centres])
    return normalise(points), np.repeat(np.arange(3), per_blob)


def test_pca_projects_every_point_and_separates_the_groups():
    vectors, groups = blobs()

    projection = project(vectors, PCA, dims=2)

    assert projection.coords.shape == (90, 2) and not projection.sampled
    centres = np.array([projection.coords[groups == g].mean(axis=0) for g in range(3)])
    spread = max(np.linalg.norm(projection.coords[groups == g] - centres[g], axis=1).mean() for g in range(3))
    assert min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)) > 3 * spread
    assert "all 90 points" in projection.note()


def test_pca_in_three_dimensions_and_with_too_few_points():
    vectors, _ = blobs(per_blob=5)

    assert project(vectors, PCA, dims=3).coords.shape == (15, 3)
    assert project(vectors[:1], PCA, dims=3).coords.shape == (1, 3)
    assert project(vectors[:2], PCA, dims=3).coords.shape == (2, 3)


def test_tsne_runs_on_a_capped_sample_and_says_so(monkeypatch):
    monkeypatch.setattr(projections, "TSNE_MAX_POINTS", 40)
    vectors, _ = blobs(per_blob=30)

    projection = project(vectors, TSNE, dims=2)

    assert projection.sampled and len(projection.indices) == 40 and projection.total == 90
    assert projection.coords.shape == (40, 2)
    assert len(set(projection.indices.tolist())) == 40
    assert "sample of 40 of 90" in projection.note()
    assert np.array_equal(project(vectors, TSNE, dims=2).indices, projection.indices)  # seeded


def test_umap_is_offered_only_when_installed():
    if projections.umap_available():
        assert UMAP in projections.available_methods()
    else:
        assert projections.available_methods() == (PCA, TSNE)
        with pytest.raises(ValueError, match="umap-learn"):
            project(blobs()[0], UMAP)


def test_kmeans_finds_the_three_groups():
    vectors, groups = blobs()

    clusters = kmeans_clusters(vectors, 3)

    for group in range(3):
        assert len(set(clusters[groups == group].tolist())) == 1
    assert len(set(clusters.tolist())) == 3
    assert suggested_cluster_count(90) == 7 and suggested_cluster_count(1) == 1 and suggested_cluster_count(3) == 2


def test_top_k_ranks_by_cosine_best_first():
    vectors = normalise([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]])

    rows, scores = top_k(np.array([1.0, 0.0]), vectors, 3)

    assert rows.tolist() == [0, 1, 2]
    assert scores[0] == pytest.approx(1.0) and scores[1] == pytest.approx(cosine([1, 0], [0.9, 0.1]))


def test_blocked_nearest_neighbours_match_the_full_matrix():
    rng = np.random.default_rng(3)
    vectors = normalise(rng.normal(size=(157, 12)))
    full = vectors @ vectors.T
    np.fill_diagonal(full, -np.inf)

    rows, scores = nearest_neighbours(vectors, 4, block_cells=157 * 10)  # 10 rows per block: 16 blocks

    assert rows.shape == (157, 4)
    assert np.array_equal(rows, np.argsort(-full, axis=1)[:, :4])
    assert np.allclose(scores, np.sort(full, axis=1)[:, ::-1][:, :4])
    assert not (rows == np.arange(157)[:, None]).any()


def test_nearest_neighbours_with_fewer_texts_than_k():
    rows, scores = nearest_neighbours(normalise([[1, 0], [0, 1]]), 5)
    assert rows.tolist() == [[1], [0]]
    assert nearest_neighbours(normalise([[1, 0]]), 5)[0].shape == (1, 0)


def test_truncation_renormalises():
    vector = normalise([[3, 4, 12]])

    cut = truncate_and_normalise(vector, 2)

    assert cut.shape == (1, 2) and np.allclose(cut, [[0.6, 0.8]])
    assert truncate_and_normalise(vector, None).shape == (1, 3)


def test_heatmap_rows_are_capped_and_grouped_by_cluster():
    vectors, groups = blobs(per_blob=50)

    rows = heatmap_rows(vectors, groups, cap=60)

    assert len(rows) == 60 and len(set(rows.tolist())) == 60
    ordered_groups = groups[rows]
    assert (np.diff(ordered_groups) != 0).sum() == 2  # three contiguous runs
    assert sorted(cluster_order(groups[:10], vectors[:10]).tolist()) == list(range(10))
