"""The explorer's input widgets: the embedding options (sidebar) and where the texts come from."""

from __future__ import annotations

import streamlit as st

from portal.embedding_explorer import (
    NO_INPUT_TYPE,
    ROLE_INPUT_TYPES,
    TEXT_INPUT_TYPE,
    EmbeddingExplorer,
    EmbeddingSpec,
    default_model,
)
from portal.embedding_jobs import BatchPolicy
from portal.outbox import DatabaseUnavailable
from portal.settings import Connection
from portal.text_inputs import MAX_TEXTS, TextInputError, TextSet, default_text_column, from_pasted, from_table, read_table

from . import embedding_state as keys
from . import resources
from .settings_form import FREE_TEXT_MODEL_KINDS

SAMPLE_TEXTS = "\n".join(
    [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A man is riding a horse.",
        "A man is riding a white horse on an enclosed ground.",
        "A woman is playing the violin.",
        "A monkey is playing drums.",
        "Two men pushed carts through the woods.",
        "The new movie is awesome.",
        "The cat sits outside.",
        "A cheetah is running behind its prey.",
    ]
)
PASTE, UPLOAD, CHAT = "Paste lines", "Upload CSV or TXT", "Chat history"
INPUT_TYPES = {
    "query for the search box, document for the texts": ROLE_INPUT_TYPES,
    "text for both": TEXT_INPUT_TYPE,
    "don't send": NO_INPUT_TYPE,
}
NO_LABEL = "(none)"


def options_form(connection: Connection) -> tuple[EmbeddingSpec, BatchPolicy]:
    with st.sidebar.expander("Embedding options", icon=":material/tune:"):
        listed = resources.get_model_choices(connection)
        choices = list(listed.embeddings)
        preferred = default_model(connection, choices)
        if len(choices) <= 1 and connection.kind.value in FREE_TEXT_MODEL_KINDS:
            model = st.text_input("Model / deployment", value=preferred or "", key=keys.MODEL, placeholder="model name") or None
        elif choices:
            model = st.selectbox(
                "Model / deployment", choices, index=choices.index(preferred) if preferred in choices else 0, key=keys.MODEL
            )
        else:
            model = st.text_input("Model / deployment", key=keys.MODEL, placeholder="endpoint default") or None
        dimensions = st.number_input("Dimensions", 1, 8192, value=None, step=64, key=keys.DIMENSIONS, placeholder="model default")
        truncate_locally = st.toggle(
            "Truncate locally",
            key=keys.TRUNCATE_LOCALLY,
            help="For models that reject `dimensions`: cut full vectors here. Either way truncated vectors are re-normalised.",
        )
        if listed.note:
            st.caption(listed.note)
        if resources.get_backend(connection).features().embeddings_input_type:
            input_type = st.selectbox("input_type", list(INPUT_TYPES), key=keys.INPUT_TYPE)
        else:
            input_type = "don't send"
        encoding = st.radio(
            "Encoding",
            ["base64", "float"],
            horizontal=True,
            key=keys.ENCODING,
            help="base64 is smaller on the wire and much cheaper to decode; some servers only speak float.",
        )
        left, right = st.columns(2)
        batch_size = left.number_input(
            "Batch size",
            1,
            2048,
            value=64,
            key=keys.BATCH_SIZE,
            help="Texts per request; a batch the endpoint rejects as too large is split.",
        )
        concurrency = right.number_input(
            "In flight", 1, 16, value=4, key=keys.CONCURRENCY, help="Requests sent at the same time."
        )
    spec = EmbeddingSpec(
        model=model,
        dimensions=int(dimensions) if dimensions else None,
        truncate_locally=truncate_locally,
        input_types=INPUT_TYPES[input_type],
        encoding_format=encoding,
    )
    return spec, BatchPolicy(batch_size=int(batch_size), concurrency=int(concurrency))


def _from_upload() -> TextSet | None:
    upload = st.file_uploader("CSV or TXT file", type=["csv", "txt"], key=keys.UPLOAD)
    if upload is None:
        return None
    try:
        frame = read_table(upload.getvalue(), upload.name)
    except TextInputError as exc:
        st.error(str(exc))
        return None
    columns = list(frame.columns)
    if len(columns) == 1:
        return from_table(frame, columns[0])
    left, right = st.columns(2)
    text_column = left.selectbox("Text column", columns, index=columns.index(default_text_column(frame)), key=keys.TEXT_COLUMN)
    label = right.selectbox(
        "Label column (optional)", [NO_LABEL] + [c for c in columns if c != text_column], key=keys.LABEL_COLUMN
    )
    return from_table(frame, text_column, None if label == NO_LABEL else label)


def _from_chat(explorer: EmbeddingExplorer) -> TextSet | None:
    try:
        conversations = explorer.conversations()
    except DatabaseUnavailable:
        st.warning(
            "The chat history cannot be read: the database is unreachable. Paste or upload texts meanwhile.",
            icon=":material/cloud_off:",
        )
        return None
    if not conversations:
        st.info("There are no conversations yet; chat first, or paste texts.")
        return None
    titles = {c.id: f"{c.title} ({c.message_count} messages)" for c in conversations}
    chosen = st.multiselect("Conversations", list(titles), format_func=titles.__getitem__, key=keys.CONVERSATIONS)
    roles = st.multiselect("Messages from", ["user", "assistant"], default=["user", "assistant"], key=keys.ROLES)
    if not chosen or not roles:
        return None
    try:
        return explorer.texts_from_conversations(chosen, roles)
    except DatabaseUnavailable:
        st.warning("The chosen conversations cannot be read: the database is unreachable.", icon=":material/cloud_off:")
        return None


def text_source(explorer: EmbeddingExplorer) -> TextSet | None:
    """The texts to embed from the chosen source, with a line saying what was dropped or cut."""
    source = st.radio("Texts from", [PASTE, UPLOAD, CHAT], horizontal=True, key=keys.SOURCE)
    text_set: TextSet | None
    if source == PASTE:
        text_set = from_pasted(st.text_area("Texts, one per line", SAMPLE_TEXTS, height=200, key=keys.PASTE))
    elif source == UPLOAD:
        text_set = _from_upload()
    else:
        text_set = _from_chat(explorer)
    if text_set is not None:
        notes = [f"{len(text_set):,} text{'s' if len(text_set) != 1 else ''}"]
        if text_set.labels is not None:
            notes.append(f"{len(set(text_set.labels)):,} labels")
        if text_set.dropped:
            notes.append(f"{text_set.dropped:,} blank entries skipped")
        if text_set.cut:
            notes.append(f"{text_set.cut:,} beyond the cap of {MAX_TEXTS:,} left out")
        st.caption(" · ".join(notes))
    return text_set if text_set else None
