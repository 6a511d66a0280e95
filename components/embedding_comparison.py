"""Compare two embedding models on the shown texts: how many nearest neighbours they share.

The second model embeds the same texts with the same options through the same job as the corpus
(progress bar, Cancel, the cache, the interruption report): **Compare models** requests only what the
cache lacks, and each rerun reloads its vectors from the cache. The comparison itself
(portal/model_comparison.py) is cached per corpus, second model and k, so moving k recomputes only
the neighbours. `COMPARISON` remembers which corpus was compared; another corpus hides the result,
and switching the text source clears it (`embedding_inputs.clear_results`).
"""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np
import streamlit as st

from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec, fingerprint
from portal.embedding_jobs import BatchPolicy, EmbeddingOutcome
from portal.inference import InferenceError
from portal.markdown_text import escape_markdown
from portal.model_comparison import (
    MAX_COMPARED_TEXTS,
    MAX_K,
    ModelComparison,
    compare_outcomes,
    default_k,
    disagreement_table,
    overlap_table,
)
from portal.projections import PCA, project
from portal.settings import Connection
from portal.text_inputs import TextSet

from . import embedding_state as keys
from . import resources
from .embedding_inputs import model_input
from .embedding_run import COMPARE_BUTTON, run_with_progress
from .figures import overlap_histogram, scatter_figure

SECOND_MODEL_LABEL = "Second model"


@st.cache_data(show_spinner="Comparing neighbours…", max_entries=8)
def _comparison(corpus_id: str, second_id: str, k: int, _first: EmbeddingOutcome, _second: EmbeddingOutcome) -> ModelComparison:
    return compare_outcomes(_first, _second, k)


@st.cache_data(show_spinner="Drawing both maps…", max_entries=4)
def _side_by_side(
    corpus_id: str, second_id: str, k: int, _comparison: ModelComparison, _first: EmbeddingOutcome, _second: EmbeddingOutcome
) -> tuple[np.ndarray, np.ndarray]:
    """Each model's PCA map of the compared texts (row i of both is the comparison's text i)."""
    return tuple(project(_rows_of(outcome, _comparison.texts), PCA, 2).coords for outcome in (_first, _second))  # type: ignore[return-value]


def _rows_of(outcome: EmbeddingOutcome, text_indices: np.ndarray) -> np.ndarray:
    position = {int(text): row for row, text in enumerate(outcome.indices)}
    return outcome.vectors[[position[int(text)] for text in text_indices]]


def _agreement(shared: int, k: int) -> str:
    if shared == 0:
        return "none shared"
    if shared == k:
        return "all shared"
    return "half or more shared" if 2 * shared >= k else "under half shared"


def _name(spec: EmbeddingSpec) -> str:
    name = f"**{escape_markdown(spec.model)}**" if spec.model else "the endpoint's default model"
    return f"{name} at {spec.dimensions:,} dimensions" if spec.dimensions else name


def _controls(connection: Connection, spec: EmbeddingSpec, count: int) -> tuple[str | None, int | None, int, bool]:
    choices = list(resources.get_model_choices(connection).embeddings)
    others = [model for model in choices if model != spec.model]
    left, length, middle, right = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    with left:
        second = model_input(
            connection,
            choices,
            SECOND_MODEL_LABEL,
            keys.COMPARE_MODEL,
            others[0] if others else spec.model,
            "The model to compare with; it embeds the same texts with the same options (cached like the first).",
        )
    dimensions = length.number_input(
        "Its vector length",
        1,
        8192,
        value=None,
        step=64,
        key=keys.COMPARE_DIMENSIONS,
        placeholder="as above",
        help="The second model's `dimensions` (empty = the same as above). Pick the same model with another "
        "length to see what shorter vectors lose.",
    )
    # With k = n - 1 every other text is a neighbour under both models: 100 % whatever the models.
    largest = min(MAX_K, max(1, count - 2))
    if st.session_state.get(keys.COMPARE_K, 0) > largest:  # a smaller corpus than the last one
        st.session_state[keys.COMPARE_K] = largest
    k = middle.number_input(
        "Neighbours (k)",
        1,
        largest,
        value=default_k(count),
        key=keys.COMPARE_K,
        help="How many nearest neighbours of each text are compared.",
    )
    clicked = right.button(COMPARE_BUTTON, icon=":material/compare_arrows:")
    return second, int(dimensions) if dimensions else None, int(k), clicked


def render(
    explorer: EmbeddingExplorer,
    connection: Connection,
    text_set: TextSet,
    spec: EmbeddingSpec,
    outcome: EmbeddingOutcome,
    policy: BatchPolicy,
) -> None:
    """The comparison's controls, and its result once **Compare models** has run for these texts."""
    count = len(outcome.indices)
    if count < 2:
        return
    st.subheader("Compare two models")
    st.caption(
        "For each text, how many of its k nearest neighbours (by cosine similarity) two models share: "
        "the model above and a second one, on the same texts."
    )
    second_model, second_dimensions, k, clicked = _controls(connection, spec, count)
    second: EmbeddingOutcome | None = None
    if clicked:
        second_spec = replace(spec, model=second_model, dimensions=second_dimensions or spec.dimensions)
        st.session_state[keys.COMPARISON] = (text_set, spec, second_spec)
        second = run_with_progress(explorer, text_set, second_spec, policy)
    shown = st.session_state.get(keys.COMPARISON)
    if shown is None or shown[0] != text_set or shown[1] != spec:
        return  # nothing compared yet, or another corpus than the one compared
    second_spec = shown[2]
    if second is None:
        try:
            second = explorer.load(text_set.texts, second_spec)
        except InferenceError as exc:
            st.error(exc.user_message())
            return
    corpus_id = f"{fingerprint(text_set.texts, spec)}:{count}"
    second_id = f"{fingerprint(text_set.texts, second_spec)}:{len(second.indices)}"
    comparison = _comparison(corpus_id, second_id, k, outcome, second)
    _show(comparison, text_set, spec, second_spec)
    if comparison.count >= 2:
        _maps(_side_by_side(corpus_id, second_id, k, comparison, outcome, second), comparison, text_set, spec, second_spec)


def _maps(
    coords: tuple[np.ndarray, np.ndarray], comparison: ModelComparison, text_set: TextSet, spec: EmbeddingSpec, second_spec: EmbeddingSpec
) -> None:
    """The two models' maps side by side, each point coloured by how many neighbours the models share
    for it, so that where they disagree shows in both spaces."""
    st.markdown("**Side by side** (PCA of each model's vectors; colour: neighbours shared)")
    texts = [text_set.texts[int(i)] for i in comparison.texts]
    groups = [_agreement(int(shared), comparison.k) for shared in comparison.shared]
    for column, points, model in zip(st.columns(2), coords, (spec, second_spec)):
        length = f" · {model.dimensions:,} dimensions" if model.dimensions else ""
        title = html.escape(f"{'A' if model is spec else 'B'}: {model.model or 'default model'}{length}")  # plotly titles read HTML
        figure = scatter_figure(points, texts, groups, colour_title="neighbours shared", title=title)
        figure.update_layout(height=420, showlegend=model is not spec)
        column.plotly_chart(figure, width="stretch", key=f"emb_compare_map_{'a' if model is spec else 'b'}")


def _show(comparison: ModelComparison, text_set: TextSet, spec: EmbeddingSpec, second_spec: EmbeddingSpec) -> None:
    if comparison.left_out:
        st.info(
            f"{comparison.left_out:,} texts have a vector under only one of the models and are left out; "
            f"press **{COMPARE_BUTTON}** to embed the rest."
        )
    if comparison.count < 2:
        st.info("Fewer than two texts have a vector under both models, so there are no neighbours to compare.")
        return
    if comparison.sampled_from:
        st.caption(
            f"Compared on a random sample of {comparison.count:,} of the {comparison.sampled_from:,} texts: every text "
            f"against every other grows with the square of the count, so above {MAX_COMPARED_TEXTS:,} texts a sample stands in."
        )
    share = f"{100 * comparison.mean_overlap:.0f} %"
    st.metric("Neighbours shared", share)
    st.caption(
        f"{share} of neighbours shared at k = {comparison.k}: A is {_name(spec)}, B is {_name(second_spec)}, "
        f"over {comparison.count:,} texts."
    )
    st.plotly_chart(overlap_histogram(comparison.histogram(), comparison.k), width="stretch", key="emb_overlap_histogram")
    texts = text_set.texts
    st.markdown("**Where the models disagree most** (fewest neighbours shared; then the most reordered)")
    column_config = {
        "overlap": st.column_config.NumberColumn("overlap", format="percent"),
        "neighbours under A": st.column_config.ListColumn("neighbours under A", width="large"),
        "neighbours under B": st.column_config.ListColumn("neighbours under B", width="large"),
    }
    st.dataframe(disagreement_table(comparison, texts), hide_index=True, width="stretch", column_config=column_config)
    with st.expander(f"Overlap of every text ({comparison.count:,})"):
        st.dataframe(
            overlap_table(comparison, texts),
            hide_index=True,
            width="stretch",
            column_config={"overlap": st.column_config.NumberColumn("overlap", format="percent")},
        )
