"""The explorer's views over embedded texts: search, scatter map, heatmap, compare, export.

Derived data (projections, clusters, neighbours) is cached with `st.cache_data` under the
corpus fingerprint, so widget changes redraw without recomputing; the vectors themselves are
passed unhashed (`_vectors`) because hashing 10,000 x 384 floats on every rerun is wasted work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from portal.cluster_labels import cluster_labels
from portal.collections import SavedMap
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec, fingerprint
from portal.embedding_export import points_table, similarity_table, to_csv_bytes
from portal.embedding_jobs import EmbeddingOutcome
from portal.inference import InferenceError
from portal.markdown_text import escape_markdown
from portal.projections import (
    HDBSCAN,
    KMEANS,
    PCA,
    TSNE,
    TSNE_MAX_POINTS,
    UNCLUSTERED,
    Projection,
    available_methods,
    hdbscan_clusters,
    kmeans_clusters,
    project,
    suggested_cluster_count,
)
from portal.similarity import HEATMAP_MAX_ITEMS, heatmap_rows, nearest_neighbours, top_k
from portal.text_inputs import TextSet

from . import embedding_state as keys
from .conversation_nav import message_link_url
from .figures import scatter_figure, similarity_heatmap

EXPORT_NEIGHBOURS = 5
EXPORT_NEIGHBOURS_MAX_TEXTS = 20_000  # every text against every other: about 6 s at 20,000, 25 times that at 100,000
MAX_CLUSTERS = 20


@st.cache_data(show_spinner="Projecting…", max_entries=16)
def _projection(corpus_id: str, method: str, dims: int, _vectors: np.ndarray) -> Projection:
    return project(_vectors, method, dims)


@st.cache_data(show_spinner="Clustering…", max_entries=16)
def _clusters(corpus_id: str, k: int, _vectors: np.ndarray) -> np.ndarray:
    return kmeans_clusters(_vectors, k)


@st.cache_data(show_spinner="Finding dense groups…", max_entries=8)
def _density_clusters(corpus_id: str, _vectors: np.ndarray) -> np.ndarray:
    return hdbscan_clusters(_vectors)


@st.cache_data(show_spinner="Naming the clusters…", max_entries=16)
def _cluster_names(corpus_id: str, grouping: str, _texts: list[str], _clusters: np.ndarray) -> dict[str, str]:
    return {_group_name(cluster): label for cluster, label in cluster_labels(_texts, _clusters).items() if cluster != UNCLUSTERED}


def _group_name(cluster: int) -> str:
    return "unclustered" if cluster == UNCLUSTERED else f"cluster {cluster}"


def _model_names(
    explorer: EmbeddingExplorer,
    map_id: str,
    texts: list[str],
    vectors: np.ndarray,
    clusters: np.ndarray,
    written: tuple[str, str, dict[int, str]] | None,
) -> None:
    """Names written by the chat model (asked for with a button, one request per cluster), marked ✎."""
    if written is not None:
        left, right = st.columns([5, 2], vertical_alignment="center")
        left.caption(
            f"✎ Cluster names written by the chat model `{escape_markdown(written[1])}` from the five most central "
            "texts of each cluster: model-written, so check them against the texts."
        )
        if right.button("Use word-based names", icon=":material/undo:", type="tertiary"):
            st.session_state.pop(keys.MODEL_NAMES, None)
            st.rerun()
        return
    if st.button(
        "Name the clusters with the chat model",
        icon=":material/edit_note:",
        type="tertiary",
        help="Sends the five most central texts of each cluster to the connection's chat model, one request per "
        "cluster, and shows its names (marked ✎) instead of the distinctive words.",
    ):
        try:
            with st.spinner("The chat model is naming the clusters…"):
                model, names = explorer.name_clusters(texts, vectors, clusters)
        except InferenceError as exc:
            st.error(f"The chat model could not name the clusters; the word-based names stay. {exc.user_message()}")
            return
        st.session_state[keys.MODEL_NAMES] = (map_id, model, names)
        st.rerun()


Origins = list[tuple[str, int]] | None  # per shown text, (conversation id, message id) for chat history


def _search(
    explorer: EmbeddingExplorer,
    spec: EmbeddingSpec,
    vectors: np.ndarray,
    texts: list[str],
    labels: list[str] | None,
    origins: Origins = None,
) -> dict[int, float]:
    left, right = st.columns([4, 1])
    query = left.text_input("Search (nearest neighbours of a query)", key=keys.QUERY, placeholder="football game result")
    k = int(right.number_input("Top k", 1, 100, value=5, key=keys.TOP_K))
    if not query.strip():
        return {}
    try:
        query_vector = explorer.embed_query(query, spec)
    except InferenceError as exc:
        st.error(exc.user_message())
        return {}
    if query_vector.shape[0] != vectors.shape[1]:
        st.error("The query vector has a different size from the corpus vectors; embed the corpus again.")
        return {}
    rows, scores = top_k(query_vector, vectors, k)
    table = pd.DataFrame({"rank": np.arange(1, len(rows) + 1), "score": np.round(scores, 4), "text": [texts[i] for i in rows]})
    if labels is not None:
        table["label"] = [labels[i] for i in rows]
    config = {}
    if origins is not None:  # texts from chat history: each result links to its message
        table["source"] = [message_link_url(*origins[i]) for i in rows]
        config["source"] = st.column_config.LinkColumn(
            "source", display_text="Open conversation", help="Opens the conversation at this message"
        )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    return {int(row): float(score) for row, score in zip(rows, scores)}


def _map(
    explorer: EmbeddingExplorer,
    corpus_id: str,
    vectors: np.ndarray,
    texts: list[str],
    labels: list[str] | None,
    highlight: dict[int, float],
    saved: SavedMap | None = None,
    origins: Origins = None,
) -> SavedMap:
    """The map with its controls in one row above it, the clustering and cluster count among them;
    returns the projection and the clusters (the heatmap, the exports and a saved collection use them).
    A reopened collection's `saved` map is used as it is where it matches the controls."""
    methods = list(available_methods())
    colour_choices = (["label"] if labels is not None else []) + ["cluster"]
    one, two, three, four, five = st.columns([3, 2, 3, 3, 2])
    method = one.selectbox("Projection", methods, index=methods.index(PCA), key=keys.PROJECTION)
    dims = 3 if two.radio("View", ["2D", "3D"], horizontal=True, key=keys.PROJECTION_DIMS) == "3D" else 2
    colour_by = three.selectbox("Colour by", colour_choices, key=keys.COLOUR_BY)
    clustering = four.selectbox(
        "Clustering",
        [KMEANS, HDBSCAN],
        key=keys.CLUSTERING,
        help="k-means splits the texts into the number of clusters you choose; HDBSCAN finds dense groups "
        "itself and leaves the rest unclustered (on 10 PCA components, fitted on at most 10,000 texts).",
    )
    k = int(
        five.number_input(
            "Clusters",
            1,
            min(MAX_CLUSTERS, len(texts)),
            value=min(suggested_cluster_count(len(texts)), MAX_CLUSTERS),
            key=keys.CLUSTERS,
            disabled=clustering == HDBSCAN,
            help="How many groups k-means finds; they colour the map and order the heatmap. HDBSCAN finds its own number.",
        )
    )
    reuse_clusters = saved is not None and saved.clustering == clustering and (clustering == HDBSCAN or saved.k == k)
    if saved is not None and reuse_clusters:
        clusters = saved.clusters
    else:
        clusters = _clusters(corpus_id, k, vectors) if clustering == KMEANS else _density_clusters(corpus_id, vectors)
    if clustering == HDBSCAN:
        k = len({int(c) for c in clusters.tolist() if c != UNCLUSTERED})
    projection = (
        saved.projection if saved is not None and saved.matches(method, dims) else _projection(corpus_id, method, dims, vectors)
    )
    position = {int(row): i for i, row in enumerate(projection.indices)}
    by_label = colour_by == "label" and labels is not None
    groups = labels if by_label and labels is not None else [_group_name(int(c)) for c in clusters]
    map_id = f"{corpus_id}:{clustering}:{k}"
    written = st.session_state.get(keys.MODEL_NAMES)
    written = written if written is not None and written[0] == map_id else None
    if by_label:
        names = None
    elif written is not None:  # marked: the chat model wrote these
        names = {_group_name(cluster): f"{name} ✎" for cluster, name in written[2].items() if name}
    elif saved is not None and reuse_clusters and saved.names is not None:
        names = saved.names
    else:
        names = _cluster_names(corpus_id, f"{clustering}:{k}", texts, clusters)
    shown_texts = [texts[row] for row in projection.indices]
    shown_groups = [groups[row] for row in projection.indices]
    shown_highlight = {position[row]: score for row, score in highlight.items() if row in position}
    figure = scatter_figure(
        projection.coords,
        shown_texts,
        shown_groups,
        colour_title=colour_by,
        highlight=shown_highlight,
        group_labels=names,
        point_ids=origins is not None,
    )
    if origins is None:
        st.plotly_chart(figure, width="stretch", key="emb_scatter")
    else:  # texts from chat history: a click on a point offers its conversation
        event = st.plotly_chart(figure, width="stretch", key="emb_scatter", on_select="rerun", selection_mode="points")
        _selected_sources(event, projection.indices, texts, origins)
    note = projection.note()
    if method == TSNE and projection.sampled:
        note += f" t-SNE is slow on large sets, so it is capped at {TSNE_MAX_POINTS:,} points."
    if len(shown_highlight) < len(highlight):
        note += f" {len(highlight) - len(shown_highlight)} query neighbours are outside the sample."
    if clustering == HDBSCAN:
        unclustered = int((clusters == UNCLUSTERED).sum())
        note += f" HDBSCAN found {k:,} clusters" + (f"; {unclustered:,} texts are in none." if unclustered else ".")
    st.caption(note)
    if not by_label:
        _model_names(explorer, map_id, texts, vectors, clusters, written)
    return SavedMap(projection, dims, clusters, k, names, clustering)


def _selected_rows(event: object, indices: np.ndarray) -> list[int]:
    """The rows of the texts whose points were clicked (each point carries its map position as customdata)."""
    points = ((event or {}).get("selection") or {}).get("points") or []  # type: ignore[attr-defined]
    rows: list[int] = []
    for point in points:
        data = point.get("customdata")
        position = data[0] if isinstance(data, list) and data else data
        if isinstance(position, int | float) and 0 <= int(position) < len(indices):
            row = int(indices[int(position)])
            if row not in rows:
                rows.append(row)
    return rows


def _selected_sources(event: object, indices: np.ndarray, texts: list[str], origins: list[tuple[str, int]]) -> None:
    rows = _selected_rows(event, indices)
    if not rows:
        st.caption("These texts come from chat history: click a point to open its conversation at that message.")
        return
    for row in rows[:5]:
        words = texts[row] if len(texts[row]) <= 120 else texts[row][:119] + "…"
        st.markdown(f"Selected: {escape_markdown(words)} · [Open its conversation]({message_link_url(*origins[row])})")


def _heatmap(vectors: np.ndarray, texts: list[str], clusters: np.ndarray, clustering: str = KMEANS) -> tuple[np.ndarray, np.ndarray]:
    rows = heatmap_rows(vectors, clusters, HEATMAP_MAX_ITEMS)
    matrix = vectors[rows] @ vectors[rows].T
    st.plotly_chart(similarity_heatmap(matrix, [texts[i] for i in rows]), width="stretch", key="emb_heatmap")
    sample = (
        f"a random sample of {len(rows):,} of {len(texts):,} texts (the heatmap is capped at {HEATMAP_MAX_ITEMS:,})"
        if len(rows) < len(texts)
        else f"all {len(rows):,} texts"
    )
    st.caption(f"Cosine similarity of {sample}, ordered by {clustering} cluster.")
    return rows, matrix


def _compare(explorer: EmbeddingExplorer, spec: EmbeddingSpec) -> None:
    with st.form("emb_compare_form", border=False):
        left, right = st.columns(2)
        first = left.text_input("First text", key=keys.COMPARE_FIRST)
        second = right.text_input("Second text", key=keys.COMPARE_SECOND)
        submitted = st.form_submit_button("Compare")
    if submitted:
        try:
            st.metric("Cosine similarity", f"{explorer.compare(first, second, spec):.4f}")
        except (InferenceError, ValueError) as exc:
            st.error(exc.user_message() if isinstance(exc, InferenceError) else str(exc))


def _export(
    vectors: np.ndarray,
    texts: list[str],
    labels: list[str] | None,
    clusters: np.ndarray,
    projection: Projection,
    heatmap: tuple[np.ndarray, np.ndarray],
) -> None:
    """Both downloads, ready at once: each file is built when its button is pressed (Streamlit calls
    `data` then, on its own thread), so a large corpus costs nothing until someone downloads it."""

    with_neighbours = len(texts) <= EXPORT_NEIGHBOURS_MAX_TEXTS

    def points_csv() -> bytes:
        if with_neighbours:
            neighbour_rows, neighbour_scores = nearest_neighbours(vectors, EXPORT_NEIGHBOURS)
        else:
            neighbour_rows, neighbour_scores = np.zeros((len(texts), 0), dtype=np.int64), np.zeros((len(texts), 0), dtype=np.float32)
        return to_csv_bytes(points_table(texts, labels, clusters, projection, neighbour_rows, neighbour_scores))

    rows, matrix = heatmap
    left, right = st.columns(2)
    left.download_button(
        "Points CSV",
        points_csv,
        "embeddings_points.csv",
        "text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"Texts, coordinates, cluster and {EXPORT_NEIGHBOURS} nearest neighbours each."
        if with_neighbours
        else f"Texts, coordinates and cluster. Nearest neighbours are left out above {EXPORT_NEIGHBOURS_MAX_TEXTS:,} texts "
        "(every text against every other would take minutes); search finds the neighbours of any text.",
    )
    right.download_button(
        f"Similarity matrix CSV ({len(rows):,} texts)",
        lambda: to_csv_bytes(similarity_table([texts[i] for i in rows], matrix), index=True),
        "similarity_matrix.csv",
        "text/csv",
        icon=":material/download:",
        on_click="ignore",
        help="The heatmap's cosine similarities.",
    )


def render(
    explorer: EmbeddingExplorer,
    text_set: TextSet,
    spec: EmbeddingSpec,
    outcome: EmbeddingOutcome,
    saved: SavedMap | None = None,
) -> SavedMap | None:
    """Draw the views; returns the map shown (None below two texts), which a saved collection keeps."""
    rows = outcome.indices.tolist()
    texts = [text_set.texts[i] for i in rows]
    labels = [text_set.labels[i] for i in rows] if text_set.labels is not None else None
    origins = [text_set.origins[i] for i in rows] if text_set.origins is not None else None
    vectors = outcome.vectors
    st.caption(f"{len(texts):,} texts · {outcome.dimensions} dimensions · model `{spec.model or 'endpoint default'}`")
    if outcome.missing:
        st.info(f"{outcome.missing:,} of {len(outcome.texts):,} texts have no vector yet; press **Embed** to finish them.")
    if len(texts) < 2:
        st.info("Embed at least two texts to see the map.")
        return None
    corpus_id = f"{fingerprint(text_set.texts, spec)}:{len(rows)}"
    st.subheader("Search and map")
    highlight = _search(explorer, spec, vectors, texts, labels, origins)
    shown = _map(explorer, corpus_id, vectors, texts, labels, highlight, saved, origins)
    projection, clusters = shown.projection, shown.clusters
    st.subheader("Similarity heatmap")
    heatmap = _heatmap(vectors, texts, clusters, shown.clustering)
    st.subheader("Compare two texts")
    _compare(explorer, spec)
    st.subheader("Export")
    _export(vectors, texts, labels, clusters, projection, heatmap)
    return shown
