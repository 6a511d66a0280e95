"""Session-state keys of the embeddings explorer, and its per-session service (cheap; never cached).

Session state holds the user's inputs only (the texts and the chosen settings); vectors live in
the database cache and are reloaded from there on every rerun.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from portal.collections import Collections
from portal.embedding_explorer import EmbeddingExplorer
from portal.settings import Connection
from storage.database import Session, SessionFactory

from . import resources, services

CORPUS = "emb_corpus"  # (TextSet, EmbeddingSpec) the views show, set when a job starts
RUNNING = "emb_running"  # (TextSet, EmbeddingSpec) while a job runs; still set on the next run = interrupted
CANCEL = "emb_cancel"  # the cancel button
SOURCE = "emb_source"
PASTE = "emb_paste"
UPLOAD = "emb_upload"
TEXT_COLUMN = "emb_text_column"
LABEL_COLUMN = "emb_label_column"
CONVERSATIONS = "emb_conversations"
ROLES = "emb_roles"
MODEL = "emb_model"
DIMENSIONS = "emb_dimensions"
TRUNCATE_LOCALLY = "emb_truncate_locally"
INPUT_TYPE = "emb_input_type"
ENCODING = "emb_encoding"
BATCH_SIZE = "emb_batch_size"
CONCURRENCY = "emb_concurrency"
PROJECTION = "emb_projection"
PROJECTION_DIMS = "emb_projection_dims"
COLOUR_BY = "emb_colour_by"
CLUSTERS = "emb_clusters"
CLUSTERING = "emb_clustering"  # k-means or HDBSCAN
MODEL_NAMES = "emb_model_names"  # (map id, model, {cluster: name}): cluster names the chat model wrote
QUERY = "emb_query"
TOP_K = "emb_top_k"
COMPARE_FIRST = "emb_compare_first"
COMPARE_SECOND = "emb_compare_second"
COMPARE_MODEL = "emb_compare_model"  # the second model of a model comparison
COMPARE_DIMENSIONS = "emb_compare_dimensions"  # the second model's vector length (None: as the first)
COMPARE_K = "emb_compare_k"  # neighbours per text in a model comparison
COMPARISON = "emb_comparison"  # (TextSet, EmbeddingSpec, EmbeddingSpec): the corpus and spec compared, and the second spec
COLLECTION = "emb_collection"  # (id, saved at) of the saved collection CORPUS came from; None = embedded here
COLLECTION_NOTICE = "emb_collection_notice"  # (kind, text) said once after a collection action
COLLECTION_PICK = "emb_collection_pick"
COLLECTION_RENAME = "emb_collection_rename"
SAVE_NAME = "emb_save_name"
SAVE_REPLACE = "emb_save_replace"


class _SessionsAtFirstUse:
    """A `SessionFactory` over the shared sessionmaker, reached (and the database created and migrated) only when a step
    needs it: the page draws its input widgets first, so what was typed survives a database outage.
    Looked up once (on the script thread, by the first step), then kept: an embedding job writes
    from a worker thread, which must not go through Streamlit's caches and secrets each time."""

    def __init__(self) -> None:
        self._sessions: SessionFactory | None = None  # the sessionmaker, once looked up

    def begin(self) -> AbstractContextManager[Session]:
        if self._sessions is None:
            self._sessions = resources.get_sessionmaker()  # raises while the database is away; tried again next use
        return self._sessions.begin()


def explorer(connection: Connection) -> EmbeddingExplorer:
    sessions: SessionFactory = _SessionsAtFirstUse()
    return EmbeddingExplorer(sessions, resources.get_backend(connection), connection, owner=services.current_owner())


def collections() -> Collections:
    """The signed-in owner's saved collections (the database is reached at first use, as for `explorer`)."""
    return Collections(_SessionsAtFirstUse(), owner=services.current_owner())
