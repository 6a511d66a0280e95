"""Embeddings similarity explorer: embed texts (cached, batched, concurrent), then map, search, compare, export."""

import streamlit as st

from components import embedding_inputs, embedding_run, embedding_views, resources
from components import embedding_state as keys
from components.router_guard import require_router
from portal.errors import InferenceError


def main() -> None:
    require_router()
    st.title("Embeddings")
    st.caption(
        "Embed texts with the connection's embeddings model, then explore them: a 2D/3D map coloured by label or "
        "cluster, nearest-neighbour search, a similarity heatmap, and CSV exports. Vectors are cached, so "
        "embedding the same texts again costs nothing."
    )
    connection = resources.current_connection()
    explorer = keys.explorer(connection)
    spec, policy = embedding_inputs.options_form(connection)
    embedding_run.report_interrupted(explorer)

    text_set = embedding_inputs.text_source(explorer)
    if st.button("Embed", type="primary", disabled=text_set is None, icon=":material/scatter_plot:"):
        embedding_run.embed_with_progress(explorer, text_set, spec, policy)

    corpus = st.session_state.get(keys.CORPUS)
    if corpus is None:
        st.info("Choose texts and press **Embed** to see them on a map.")
        return
    corpus_texts, corpus_spec = corpus
    try:
        outcome = explorer.load(corpus_texts.texts, corpus_spec)
    except InferenceError as exc:
        st.error(exc.user_message())
        return
    st.divider()
    embedding_views.render(explorer, corpus_texts, corpus_spec, outcome)


main()
