"""Embeddings similarity explorer (first cut: embed pasted lines and show their cosine similarity)."""

import streamlit as st

from components import resources
from portal.backend import EmbeddingOptions
from portal.errors import InferenceError
from portal.similarity import cosine_matrix


def main() -> None:
    st.title("Embeddings")
    connection = resources.current_connection()
    text = st.text_area("Texts, one per line", "A man is eating food.\nA man is eating a piece of bread.\nA man is riding a horse.")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if st.button("Embed", type="primary", disabled=not lines):
        try:
            batch = resources.get_backend(connection).embed(lines, EmbeddingOptions(model=connection.embeddings_model))
        except InferenceError as exc:
            st.error(exc.user_message())
            return
        st.caption(f"{len(batch.vectors)} vectors of {len(batch.vectors[0])} dimensions from `{batch.model}`")
        st.dataframe(cosine_matrix(lines, batch.vectors))


main()
