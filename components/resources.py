"""The ONE module holding `st.cache_resource` getters: settings, the database, backends, the local server.

Everything cached here is shared by every session, so it must be thread-safe: SDK sync clients,
the SQLAlchemy engine and sessionmaker, the local server. Nothing per-user is cached here.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from portal.settings import AppSettings, Connection, Secret, load_settings, with_offline_endpoint

from . import state

if TYPE_CHECKING:
    from localserver.runner import BackgroundServer
    from portal.collections import Collections, OpenedCollection
    from portal.inference import InferenceBackend
    from portal.model_catalog import ModelChoices

# The heavy modules (the local server's FastAPI app, the Azure SDK, OpenTelemetry, SQLAlchemy and
# Alembic) are imported inside the getters that need them: the router imports this module, and
# every import here delays the first page of a fresh `streamlit run` (benchmark 6).


def _secrets_as_dict() -> dict[str, Any]:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, OSError, st.errors.StreamlitSecretNotFoundError):
        return {}


def _to_plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


def _stop_server(server: BackgroundServer) -> None:
    try:
        server.stop(timeout=1)
    except RuntimeError:  # it never started: nothing to stop
        pass


@st.cache_resource(show_spinner=False, on_release=_stop_server)
def _offline_server(words_per_second: float) -> BackgroundServer:
    """Bound at once, serving moments later: its imports and start overlap the first page's script."""
    from localserver.runner import start_in_background

    return start_in_background(words_per_second=words_per_second)


@st.cache_resource(show_spinner=False)
def _tracing(mode: str, content_recording: bool) -> bool:
    if mode == "off":
        return False
    from portal.tracing import configure_tracing

    return configure_tracing(mode, content_recording)


@st.cache_resource(show_spinner=False)
def _settings(env_snapshot: tuple[tuple[str, str], ...], secrets_key: str) -> AppSettings:
    settings = load_settings(dict(env_snapshot), _to_plain(_secrets_as_dict()))
    _tracing(settings.tracing, settings.tracing_content)
    if settings.needs_offline_server:
        from localserver.catalog import EMBEDDINGS, default_models

        server = _offline_server(settings.offline_words_per_second)
        served = tuple(m.name for m in default_models() if m.kind == EMBEDDINGS)  # what the server will serve
        settings = with_offline_endpoint(settings, server.url, served)
    return settings


def get_settings() -> AppSettings:
    relevant = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("AZURE_INFERENCE_", "PORTAL_", "DATABASE_URL"))))
    # Key on the secrets' values (as a digest), not just their names: Streamlit reloads an edited
    # secrets.toml, and an edited endpoint or key must not keep the stale settings.
    secrets_key = hashlib.sha256(repr(_to_plain(_secrets_as_dict())).encode()).hexdigest()
    return _settings(relevant, secrets_key)


def offline_server() -> BackgroundServer | None:
    """The bundled local server the offline demo talks to, or None when no connection uses it."""
    settings = get_settings()
    return _offline_server(settings.offline_words_per_second) if settings.needs_offline_server else None


def current_connection() -> Connection:
    settings = get_settings()
    return settings.connection(st.session_state.get(state.CONNECTION))


def _secret_digest(secret: Secret) -> str:
    """Cache-key stand-in for a Secret (which refuses to pickle): a digest, never the key itself."""
    return hashlib.sha256(secret.reveal().encode()).hexdigest()


def _close_backend(backend: InferenceBackend) -> None:
    backend.close()


@st.cache_resource(show_spinner=False, hash_funcs={Secret: _secret_digest}, on_release=_close_backend)
def _backend(connection: Connection, read_timeout_seconds: float) -> InferenceBackend:
    from portal.inference import make_backend

    return make_backend(connection, read_timeout_seconds=read_timeout_seconds)


def get_backend(connection: Connection | None = None) -> InferenceBackend:
    settings = get_settings()
    return _backend(connection or current_connection(), settings.request_timeout_seconds)


@st.cache_data(ttl=600, show_spinner=False, hash_funcs={Secret: _secret_digest})
def _model_choices(connection: Connection, read_timeout_seconds: float) -> ModelChoices:
    from portal.model_catalog import model_choices

    return model_choices(connection, _backend(connection, read_timeout_seconds))


def get_model_choices(connection: Connection | None = None) -> ModelChoices:
    """The connection's chat and embeddings models (configured, or listed by the endpoint), cached 10 minutes."""
    settings = get_settings()
    return _model_choices(connection or current_connection(), settings.request_timeout_seconds)


def refresh_model_choices() -> None:
    """Ask the endpoints again for their deployments or models (the "Refresh" button)."""
    _model_choices.clear()


@dataclass(frozen=True)
class _Database:
    sessions: Any  # sqlalchemy.orm.sessionmaker (SQLAlchemy is imported late, see above)
    upkeep: Any  # storage.maintenance's background upkeep, or None


def _close_database(database: _Database) -> None:
    if database.upkeep is not None:
        database.upkeep.stop(timeout=1)
    database.sessions.kw["bind"].dispose()


@st.cache_resource(show_spinner=False, on_release=_close_database)
def _database(url: str) -> _Database:
    from storage.engine import make_engine, make_sessionmaker
    from storage.maintenance import start_maintenance
    from storage.migrate import upgrade_to_head

    engine = make_engine(url)
    upgrade_to_head(engine)
    upkeep = start_maintenance(engine)  # SQLite: search-index merges and WAL checkpoints off the request path
    return _Database(make_sessionmaker(engine), upkeep)


def get_sessionmaker():
    """The sessionmaker for the configured database, migrated to head on first use."""
    from storage.engine import default_database_url

    settings = get_settings()
    return _database(settings.database_url or default_database_url()).sessions


OPEN_COLLECTION_ENTRIES = 2  # a 100,000 x 384 matrix is 150 MB: keep the last two reopened


@st.cache_resource(max_entries=OPEN_COLLECTION_ENTRIES, ttl=3600, show_spinner="Opening the collection…")
def opened_collection(owner: str, collection_id: str, saved_at: str, _store: Collections) -> OpenedCollection:
    """A reopened saved collection (one database read), shared by the reruns that redraw it; keyed by
    owner, id and save time, so another owner's key never reaches it and a re-save reads again."""
    return _store.open(collection_id)


def reset_resources() -> None:
    """Release everything this module cached, for every session of the process: dispose the database
    engines and stop their upkeep threads, close the SDK clients, stop the offline server, and forget
    the settings and model lists, so that the next getter call builds them afresh from the current
    environment and secrets.

    Each getter's `on_release` does the releasing, so `st.cache_resource.clear()` releases the same
    things. For tests and tools: in a running app it would cut the streams of every other session.
    """
    _model_choices.clear()
    for getter in (_backend, _database, _offline_server, _settings, _tracing, opened_collection):
        getter.clear()


_settled_pages: set[str] = set()
_settle_lock = threading.Lock()


def settle_memory(page: str) -> None:
    """Once per page and process, after the page's first complete run: collect, then freeze what is
    alive (imported modules, cached clients, the engine) so that later collections skip it.

    Streamlit runs a full collection after every script run (`runner.postScriptGC`). Over this
    process's few hundred thousand long-lived objects that took 100-300 ms each time, holding the
    GIL while, for example, the last words of a streamed reply waited to be sent (benchmark 2);
    with them frozen it takes under a millisecond. What the freeze keeps of the first session's own
    objects is bounded: it happens once per page.
    """
    with _settle_lock:
        if page in _settled_pages:
            return
        _settled_pages.add(page)
    gc.collect()
    gc.freeze()
