"""The embeddings explorer's use cases: embed a corpus, embed a query, compare two texts, read chat texts.

One object per session, built from the shared backend and session factory (cheap; never cached). The
page calls one method per user event; vectors live in the database cache, so a rerun reloads them
with `load` (no API call) instead of keeping arrays in `st.session_state`. Every database use raises
`DatabaseUnavailable` when the database cannot be reached, so the page can say so and keep serving.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from storage import repository
from storage.database import SessionFactory, unit_of_work
from storage.records import ConversationRecord

from . import text_inputs
from .cluster_labels import model_written_labels
from .embedding_cache import EmbeddingScope, SqlVectorCache, model_key, text_hash
from .embedding_jobs import BatchPolicy, EmbeddingOutcome, JobProgress, run_job
from .inference import EmbeddingOptions, ErrorKind, InferenceBackend, InferenceError
from .model_catalog import configured_choices
from .settings import Connection
from .similarity import cosine, truncate_and_normalise
from .text_inputs import TextSet

CORPUS, QUERY = "document", "query"
ENCODINGS = ("float", "base64")
ROLE_INPUT_TYPES, TEXT_INPUT_TYPE, NO_INPUT_TYPE = "query/document", "text", "none"
INPUT_TYPE_CHOICES = (ROLE_INPUT_TYPES, TEXT_INPUT_TYPE, NO_INPUT_TYPE)  # "none": for models that reject input_type
SEMANTIC_OFFLINE_MODEL = "all-MiniLM-L6-v2"  # served by the local server when the optional extra is installed
LEXICAL_OFFLINE_MODEL = "local-embed"  # the local server's hashed words and letter trigrams: no meaning


def model_choices(connection: Connection) -> tuple[str, ...]:
    """The configured embeddings models (the page adds what the endpoint lists, see portal.model_catalog)."""
    return configured_choices(connection).embeddings


def default_model(connection: Connection, choices: Sequence[str] | None = None) -> str | None:
    """Offline, the semantic model when it is served (lexical `local-embed` otherwise); else the configured
    one, else the first of `choices` (what the endpoint lists)."""
    choices = tuple(choices) if choices is not None else model_choices(connection)
    if connection.offline and SEMANTIC_OFFLINE_MODEL in (*choices, *connection.embeddings_models):
        return SEMANTIC_OFFLINE_MODEL
    return connection.embeddings_model or (choices[0] if choices else None)


def lexical_offline(connection: Connection, model: str | None) -> bool:
    """Whether the offline demo embeds with `local-embed`, which matches words, not meaning."""
    return connection.offline and (model or connection.embeddings_model) == LEXICAL_OFFLINE_MODEL


def semantic_offline_offered(connection: Connection) -> bool:
    """Whether the offline demo serves the semantic model (the optional extra is installed)."""
    return connection.offline and SEMANTIC_OFFLINE_MODEL in connection.embeddings_models


def fingerprint(texts: Sequence[str], spec: EmbeddingSpec) -> str:
    """A short id of a corpus and its settings, for caching derived views (projections, clusters)."""
    digest = hashlib.sha256(repr(spec).encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class EmbeddingSpec:
    """What the user chose: model, size, input types and wire encoding.

    `dimensions` is asked of the service (`dimensions` parameter) unless `truncate_locally`, for
    models that reject the parameter: then full vectors are cached and cut here. Either way the
    vectors are re-normalised after truncation.
    """

    model: str | None = None
    dimensions: int | None = None
    truncate_locally: bool = False
    input_types: str = ROLE_INPUT_TYPES  # ROLE_INPUT_TYPES, "text" for everything, or NO_INPUT_TYPE
    # base64 by default: the SDK's float path re-serialises every vector on attribute access and
    # costs ~15x more client CPU (100 ms vs 6 ms per 64 vectors of 384 floats, measured locally).
    encoding_format: str = "base64"

    def __post_init__(self) -> None:
        if self.dimensions is not None and self.dimensions < 1:
            raise ValueError("dimensions must be at least 1")
        if self.encoding_format not in ENCODINGS:
            raise ValueError(f"encoding_format must be one of {ENCODINGS}")
        if self.input_types not in INPUT_TYPE_CHOICES:
            raise ValueError(f"input_types must be one of {INPUT_TYPE_CHOICES}")

    def options(self, role: str = CORPUS) -> EmbeddingOptions:
        return EmbeddingOptions(
            model=self.model,
            dimensions=None if self.truncate_locally else self.dimensions,
            input_type=role if self.input_types == ROLE_INPUT_TYPES else (None if self.input_types == NO_INPUT_TYPE else "text"),
            encoding_format=self.encoding_format,
        )


class EmbeddingExplorer:
    def __init__(self, sessions: SessionFactory, backend: InferenceBackend, connection: Connection, *, owner: str = ""):
        self._sessions = sessions
        self._backend = backend
        self._connection = connection
        self._owner = owner

    def chat_model(self) -> str | None:
        """The connection's chat model (None: the endpoint's default), which names clusters when asked."""
        choices = self._connection.model_choices()
        return self._connection.chat_model or (choices[0] if choices else None)

    def name_clusters(self, texts: Sequence[str], vectors: np.ndarray, clusters: np.ndarray) -> tuple[str, dict[int, str]]:
        """The chat model's name for each cluster (portal.cluster_labels.model_written_labels) and which
        model wrote them. Raises InferenceError."""
        model = self.chat_model()
        return model or "the endpoint's default model", model_written_labels(self._backend, model, texts, vectors, clusters)

    def supported(self, spec: EmbeddingSpec) -> EmbeddingSpec:
        """The spec as this endpoint can take it: `input_type` only where it is accepted (Azure OpenAI
        and the OpenAI v1 API refuse it)."""
        if spec.input_types != NO_INPUT_TYPE and not self._backend.features().embeddings_input_type:
            return replace(spec, input_types=NO_INPUT_TYPE)
        return spec

    def cache_for(self, spec: EmbeddingSpec, role: str = CORPUS) -> SqlVectorCache:
        options = self.supported(spec).options(role)
        scope = EmbeddingScope(
            model_key=model_key(self._connection, spec.model),
            dimensions=options.dimensions or 0,
            input_type=options.input_type or "",
            owner=self._owner,
        )
        return SqlVectorCache(self._sessions, scope)

    def _finish(self, outcome: EmbeddingOutcome, spec: EmbeddingSpec) -> EmbeddingOutcome:
        if spec.truncate_locally and spec.dimensions and outcome.dimensions > spec.dimensions:
            return replace(outcome, vectors=truncate_and_normalise(outcome.vectors, spec.dimensions))
        return outcome

    def embed(
        self,
        texts: Sequence[str],
        spec: EmbeddingSpec,
        *,
        policy: BatchPolicy | None = None,
        on_progress: Callable[[JobProgress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> EmbeddingOutcome:
        """Embed the corpus: cached texts cost nothing, each finished batch is cached at once."""
        outcome = run_job(
            self._backend,
            texts,
            self.supported(spec).options(CORPUS),
            cache=self.cache_for(spec),
            policy=policy,
            on_progress=on_progress,
            should_cancel=should_cancel,
        )
        return self._finish(outcome, spec)

    def load(self, texts: Sequence[str], spec: EmbeddingSpec) -> EmbeddingOutcome:
        """The cached vectors of `texts` without any request (status "incomplete" if some are missing)."""
        return self._finish(run_job(None, texts, self.supported(spec).options(CORPUS), cache=self.cache_for(spec)), spec)

    def kept_count(self, texts: Sequence[str], spec: EmbeddingSpec) -> int:
        """How many distinct texts of `texts` already have a vector (e.g. after an interrupted run)."""
        return self.cache_for(spec).count([text_hash(text) for text in dict.fromkeys(texts)])

    def _one(self, texts: Sequence[str], spec: EmbeddingSpec, role: str) -> np.ndarray:
        outcome = self._finish(run_job(self._backend, texts, self.supported(spec).options(role), cache=self.cache_for(spec, role)), spec)
        if outcome.error is not None:
            raise outcome.error
        if outcome.failed:
            raise InferenceError(ErrorKind.BAD_REQUEST, outcome.failed[0].message, detail=outcome.failed[0].message)
        if outcome.missing:
            raise InferenceError(ErrorKind.UNKNOWN, "The endpoint returned no vector")
        return outcome.vectors

    def embed_query(self, text: str, spec: EmbeddingSpec) -> np.ndarray:
        """The search box's vector, embedded with input_type "query" (cached like the corpus)."""
        cleaned = text_inputs.clean_text(text)
        if not cleaned:
            raise ValueError("Type a query first.")
        return self._one([cleaned], spec, QUERY)[0]

    def compare(self, first: str, second: str, spec: EmbeddingSpec) -> float:
        """Cosine similarity of two texts, both embedded as documents."""
        texts = [text_inputs.clean_text(first), text_inputs.clean_text(second)]
        if not all(texts):
            raise ValueError("Type two texts to compare.")
        if texts[0] == texts[1]:
            return 1.0
        vectors = self._one(texts, spec, CORPUS)
        return cosine(vectors[0], vectors[1])

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers."""
        with unit_of_work(self._sessions) as session:
            repository.ping(session)

    def conversations(self) -> list[ConversationRecord]:
        with unit_of_work(self._sessions) as session:
            return text_inputs.conversation_choices(session, owner=self._owner)

    def texts_from_conversations(self, conversation_ids: Sequence[str], roles: Sequence[str] = ("user", "assistant")) -> TextSet:
        with unit_of_work(self._sessions) as session:
            return text_inputs.from_conversations(session, conversation_ids, owner=self._owner, roles=roles)
