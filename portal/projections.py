"""2D/3D projections and k-means or HDBSCAN clusters of embedding vectors (pure functions; no streamlit).

PCA runs on every point. t-SNE is quadratic-ish and slow on two cores, so it runs on a seeded
random sample of at most `TSNE_MAX_POINTS` (the result says so). UMAP is used only when the
optional `umap-learn` package is installed; it is imported lazily.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

PCA, TSNE, UMAP = "PCA", "t-SNE", "UMAP"
TSNE_MAX_POINTS = 2_000
UMAP_MAX_POINTS = 20_000
MAX_CLUSTERS = 20
SEED = 7
KMEANS, HDBSCAN = "k-means", "HDBSCAN"  # how the points are grouped: k chosen by the user, or found by density
UNCLUSTERED = -1  # HDBSCAN's label for a point in no dense group
HDBSCAN_DIMENSIONS = 10  # HDBSCAN runs on this many PCA components (density is meaningless in 384 dimensions)
HDBSCAN_MAX_FIT = 10_000  # fitted on at most this many points (about 0.7 s; it grows with the square)


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray  # (len(indices), dims) float32
    indices: np.ndarray  # rows of the input that were projected (all of them unless sampled)
    method: str
    total: int  # how many vectors there were

    @property
    def sampled(self) -> bool:
        return len(self.indices) < self.total

    def note(self) -> str:
        if not self.sampled:
            return f"{self.method} of all {self.total:,} points."
        return f"{self.method} ran on a random sample of {len(self.indices):,} of {self.total:,} points."


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def available_methods() -> tuple[str, ...]:
    return (PCA, TSNE, UMAP) if umap_available() else (PCA, TSNE)


def sample_indices(count: int, cap: int, seed: int = SEED) -> np.ndarray:
    if count <= cap:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=cap, replace=False))


def _pad(coords: np.ndarray, dims: int) -> np.ndarray:
    """Fewer points (or dimensions) than components: fill the missing axes with zeros."""
    if coords.shape[1] >= dims:
        return coords[:, :dims]
    return np.hstack([coords, np.zeros((coords.shape[0], dims - coords.shape[1]), dtype=coords.dtype)])


def _pca(vectors: np.ndarray, dims: int) -> np.ndarray:
    from sklearn.decomposition import PCA as SkPCA

    components = min(dims, vectors.shape[0], vectors.shape[1])
    if vectors.shape[0] < 2 or components < 1:
        return np.zeros((vectors.shape[0], dims), dtype=np.float32)
    coords = SkPCA(n_components=components, random_state=SEED).fit_transform(vectors)
    return _pad(coords.astype(np.float32), dims)


def _tsne(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE as SkTSNE

    count = vectors.shape[0]
    if count < 4:
        return _pca(vectors, dims)
    # Reducing to 50 PCA components first is the usual t-SNE recipe: faster and less noisy.
    reduced = _pca(vectors, 50) if vectors.shape[1] > 50 and count > 50 else vectors
    perplexity = float(min(30.0, max(2.0, (count - 1) / 3)))
    coords = SkTSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed, metric="cosine").fit_transform(
        reduced
    )
    return coords.astype(np.float32)


def _umap(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    import umap  # optional dependency: umap-learn

    if vectors.shape[0] < 5:
        return _pca(vectors, dims)
    reducer = umap.UMAP(n_components=dims, metric="cosine", random_state=seed, n_neighbors=min(15, vectors.shape[0] - 1))
    return np.asarray(reducer.fit_transform(vectors), dtype=np.float32)


def project(vectors: np.ndarray, method: str = PCA, dims: int = 2, seed: int = SEED) -> Projection:
    """Project `vectors` to `dims` (2 or 3) coordinates with PCA, t-SNE (sampled) or UMAP."""
    if dims not in (2, 3):
        raise ValueError("dims must be 2 or 3")
    vectors = np.asarray(vectors, dtype=np.float32)
    total = vectors.shape[0]
    if method == PCA:
        indices = np.arange(total)
        coords = _pca(vectors, dims)
    elif method == TSNE:
        indices = sample_indices(total, TSNE_MAX_POINTS, seed)
        coords = _tsne(vectors[indices], dims, seed)
    elif method == UMAP:
        if not umap_available():
            raise ValueError("UMAP needs the optional umap-learn package (pip install umap-learn)")
        indices = sample_indices(total, UMAP_MAX_POINTS, seed)
        coords = _umap(vectors[indices], dims, seed)
    else:
        raise ValueError(f"unknown projection method {method!r}")
    return Projection(coords=coords, indices=indices, method=method, total=total)


def suggested_cluster_count(count: int) -> int:
    """A starting k: about sqrt(n/2), between 2 and 8 (never more than there are points)."""
    if count < 2:
        return 1
    return int(min(count, max(2, min(8, round((count / 2) ** 0.5)))))


def kmeans_clusters(vectors: np.ndarray, k: int, seed: int = SEED) -> np.ndarray:
    """Cluster ids (0..k-1) for every row; cosine-like because the rows are unit vectors."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    vectors = np.asarray(vectors, dtype=np.float32)
    count = vectors.shape[0]
    k = max(1, min(int(k), MAX_CLUSTERS, count))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if k == 1:
        return np.zeros(count, dtype=np.int64)
    if count > 5_000:
        model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048)
    else:
        model = KMeans(n_clusters=k, random_state=seed, n_init=4)
    return model.fit_predict(vectors).astype(np.int64)


def hdbscan_clusters(vectors: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Density clusters (scikit-learn's HDBSCAN) numbered 0.. by size, biggest first, and
    `UNCLUSTERED` for points in no dense group. HDBSCAN runs on the first `HDBSCAN_DIMENSIONS` PCA
    components (the BERTopic recipe reduces before clustering too). Above `HDBSCAN_MAX_FIT` points it
    is fitted on a seeded random sample, and every other point joins the group of its nearest sampled
    point."""
    from sklearn.cluster import HDBSCAN as SkHDBSCAN
    from sklearn.neighbors import NearestNeighbors

    vectors = np.asarray(vectors, dtype=np.float32)
    count = vectors.shape[0]
    if count < 5:
        return np.zeros(count, dtype=np.int64)
    reduced = _pca(vectors, min(HDBSCAN_DIMENSIONS, vectors.shape[1]))
    sample = sample_indices(count, HDBSCAN_MAX_FIT, seed)
    fitted = SkHDBSCAN(min_cluster_size=max(5, len(sample) // 100), copy=True).fit_predict(reduced[sample])
    if len(sample) < count:
        nearest = NearestNeighbors(n_neighbors=1).fit(reduced[sample]).kneighbors(reduced, return_distance=False)[:, 0]
        fitted = fitted[nearest]
    ids, sizes = np.unique(fitted[fitted != UNCLUSTERED], return_counts=True)
    renumber = np.full(int(fitted.max()) + 2 if len(ids) else 1, UNCLUSTERED, dtype=np.int64)
    renumber[ids[np.argsort(-sizes, kind="stable")]] = np.arange(len(ids))
    return np.where(fitted == UNCLUSTERED, UNCLUSTERED, renumber[np.maximum(fitted, 0)]).astype(np.int64)
