"""Embeddings similarity explorer: embed texts (cached, batched, concurrent), then map, search, compare, export,
save, and compare two models' neighbours."""

import streamlit as st

from components import (
    embedding_collections,
    embedding_comparison,
    embedding_inputs,
    embedding_notice,
    embedding_run,
    embedding_views,
    resources,
    services,
)
from components import embedding_state as keys
from components.database_notice import show_unreachable
from portal.collections import Collections
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.embedding_jobs import BatchPolicy
from portal.inference import InferenceError
from portal.markdown_text import escape_markdown
from portal.settings import Connection
from portal.text_inputs import TextSet
from storage.errors import DatabaseUnavailable


def main() -> None:
    st.title("Embeddings")
    st.caption(
        "Embed texts with the connection's embeddings model, then explore them: a 2D/3D map coloured by label or "
        "cluster, nearest-neighbour search, a similarity heatmap, CSV exports, and how far two models agree on each "
        "text's neighbours. Vectors are cached, so "
        "embedding the same texts again costs nothing."
    )
    connection = resources.current_connection()
    explorer = keys.explorer(connection)  # reaches the database only when a step below needs it
    spec, policy = embedding_inputs.options_form(connection)
    notices = st.container()
    # The inputs are drawn before anything needs the database, so typed texts survive an outage.
    text_set = embedding_inputs.text_source(explorer)
    try:
        with notices:
            embedding_run.report_interrupted(explorer)
        explore(explorer, keys.collections(), connection, text_set, spec, policy)
    except DatabaseUnavailable as exc:
        show_unreachable(
            exc,
            "The embeddings cache cannot be read or written right now. Your texts and options stay on this page, "
            "and every batch embedded before the database went away is kept: press **Embed** again once it answers.",
            explorer.ping,
        )


def explore(
    explorer: EmbeddingExplorer,
    collections: Collections,
    connection: Connection,
    text_set: TextSet | None,
    spec: EmbeddingSpec,
    policy: BatchPolicy,
) -> None:
    owner = services.current_owner()
    embedding_collections.library(collections, owner)
    clicked = st.button("Embed", type="primary", disabled=text_set is None, icon=":material/scatter_plot:")
    shown = st.session_state.get(keys.CORPUS)
    # Above the results: what the offline demo's lexical model can and cannot tell (for the model shown).
    embedding_notice.show_lexical_notice(connection, spec.model if clicked or shown is None else shown[1].model)
    # The run's progress and summary go in one slot that every run draws, so what follows keeps its
    # place on the page: otherwise the next run redraws the search box as a new element and drops
    # text typed into it meanwhile.
    run_area = st.container()
    # A disabled button never returns True; the second test tells the type checker so.
    if clicked and text_set is not None:
        st.session_state.pop(keys.COLLECTION, None)  # the new run's texts replace a reopened collection
        with run_area:
            embedding_run.embed_with_progress(explorer, text_set, spec, policy)

    corpus = st.session_state.get(keys.CORPUS)
    if corpus is None:
        st.info("Choose texts and press **Embed** to see them on a map.")
        return
    corpus_texts, corpus_spec = corpus
    collection = embedding_collections.shown(collections, owner)
    if collection is not None:  # a saved collection: its own vectors, one read, nothing embedded
        corpus_texts, corpus_spec, outcome = collection.text_set, collection.spec, collection.outcome()
        st.caption(f"Saved collection **{escape_markdown(collection.record.name)}**")
    else:
        try:
            outcome = explorer.load(corpus_texts.texts, corpus_spec)
        except InferenceError as exc:
            st.error(exc.user_message())
            return
    st.divider()
    shown_map = embedding_views.render(
        explorer, corpus_texts, corpus_spec, outcome, collection.saved_map if collection is not None else None
    )
    embedding_collections.save_form(collections, corpus_texts, corpus_spec, outcome, shown_map)
    embedding_comparison.render(explorer, connection, corpus_texts, corpus_spec, outcome, policy)


main()
