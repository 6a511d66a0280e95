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
from portal.settings import Connection
from portal.text_inputs import MAX_TEXTS, TextInputError, TextSet, default_text_column, from_pasted, from_table, read_table
from storage.errors import DatabaseUnavailable

from . import embedding_state as keys
from . import resources
from .settings_form import FREE_TEXT_MODEL_KINDS

# The sample shows what the offline demo's lexical `local-embed` gets wrong as well as right (the notice
# above the results names these pairs): a paraphrase with no word in common scores near 0, the same
# words in another order score 1.0, and each topic pair shares no words.
PARAPHRASE = ("The cat sat on the mat.", "A kitten is sitting on a rug.")
WORD_ORDER = ("The dog bit the man.", "The man bit the dog.")
SAMPLE_TEXTS = "\n".join(
    [
        *PARAPHRASE,
        *WORD_ORDER,
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A man is riding a horse.",
        "The football match ended in a draw.",
        "Both teams scored twice before the final whistle.",
        "The company reported higher quarterly earnings.",
        "Shares rose after the profit announcement.",
    ]
)
PASTE, UPLOAD, CHAT = "Paste lines", "Upload CSV or TXT", "Chat history"
INPUT_TYPES = {  # short enough for the sidebar; the help says what is sent
    "Query and document": ROLE_INPUT_TYPES,
    "Same for all texts": TEXT_INPUT_TYPE,
    "Not sent": NO_INPUT_TYPE,
}
NO_LABEL = "(none)"
MODEL_LABEL = "Model or deployment"


def model_input(connection: Connection, choices: list[str], label: str, key: str, preferred: str | None, help: str) -> str | None:
    """An embeddings model: a list of the offered ones, or free text where one URL serves many models."""
    if len(choices) <= 1 and connection.kind.value in FREE_TEXT_MODEL_KINDS:
        return st.text_input(label, value=preferred or "", key=key, placeholder="model name", help=help) or None
    if choices:
        index = choices.index(preferred) if preferred in choices else 0
        return st.selectbox(label, choices, index=index, key=key, help=help)
    return st.text_input(label, key=key, placeholder="endpoint default", help=help) or None


def options_form(connection: Connection) -> tuple[EmbeddingSpec, BatchPolicy]:
    """The options in words; each help text names the API parameter it sets."""
    with st.sidebar.expander("Embedding options", icon=":material/tune:"):
        listed = resources.get_model_choices(connection)
        choices = list(listed.embeddings)
        model_help = "The embeddings model or deployment, sent as `model`."
        model = model_input(connection, choices, MODEL_LABEL, keys.MODEL, default_model(connection, choices), model_help)
        dimensions = st.number_input(
            "Vector length",
            1,
            8192,
            value=None,
            step=64,
            key=keys.DIMENSIONS,
            placeholder="model default",
            help="How many numbers per vector, sent as `dimensions`; empty = the model's own length.",
        )
        truncate_locally = st.toggle(
            "Shorten vectors here",
            key=keys.TRUNCATE_LOCALLY,
            help="For models that reject `dimensions`: full vectors are requested and cut here. "
            "Either way shortened vectors are re-normalised.",
        )
        if listed.note:
            st.caption(listed.note)
        if resources.get_backend(connection).features().embeddings_input_type:
            input_type = st.radio(
                "Text roles",
                list(INPUT_TYPES),
                key=keys.INPUT_TYPE,
                help="Sent as `input_type`: `query` for the search box and `document` for the texts, "
                "`text` for both, or nothing (for models that reject it).",
            )
        else:
            input_type = "Not sent"
        encoding = st.radio(
            "Transfer format",
            ["base64", "float"],
            horizontal=True,
            key=keys.ENCODING,
            help="Sent as `encoding_format`: base64 is smaller on the wire and much cheaper to decode; "
            "some servers only speak float.",
        )
        left, right = st.columns(2)
        batch_size = left.number_input(
            "Texts per request",
            1,
            2048,
            value=64,
            key=keys.BATCH_SIZE,
            help="How many texts go in one request's `input` (the batch size); a batch the endpoint rejects "
            "as too large is split.",
        )
        concurrency = right.number_input(
            "Requests at once",
            1,
            16,
            value=4,
            key=keys.CONCURRENCY,
            help="Requests in flight at the same time (the concurrency).",
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


def clear_results() -> None:
    """Another source means other texts: the map, search, exports and model comparison of the old ones go away."""
    st.session_state.pop(keys.CORPUS, None)
    st.session_state.pop(keys.COLLECTION, None)
    st.session_state.pop(keys.COMPARISON, None)


def text_source(explorer: EmbeddingExplorer) -> TextSet | None:
    """The texts to embed from the chosen source, with a line saying what was dropped or cut."""
    source = st.radio("Texts from", [PASTE, UPLOAD, CHAT], horizontal=True, key=keys.SOURCE, on_change=clear_results)
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
