"""The embeddings page when the database goes away: PostgreSQL stopped and started again, the SQLite
file locked by another writer, and the database dropping in the middle of an embedding run.

What must hold: a clear message instead of a stack trace, the texts typed on the page stay there,
every batch embedded before the outage stays in the cache, and once the database answers the page
works again and embeds only what is missing. Rows are counted in the database itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import embedding_state as keys
from components.database_notice import HEADLINE
from localserver import RunningServer
from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.embedding_jobs import BatchPolicy, JobProgress
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import offline_connection
from storage.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_sessionmaker
from storage.errors import DatabaseUnavailable
from storage.migrate import upgrade_to_head
from tests.embeddings.support import embeddings_requests, inputs_sent, topic_texts
from tests.faults.apptest import PortalApp, assert_no_exception, button, open_app, texts
from tests.faults.support import DedicatedPostgres, SqliteWriteLock, count_rows

FIRST = ["the cat sat on the mat", "a dog barked at night", "bread rises with yeast", "markets fell today"]
TYPED_WHILE_DOWN = ["typed while the database was away", "and this line too"]


def cached_vectors(url: str) -> int:
    return count_rows(url, "embedding_cache")


def embeddings_page(timeout: float = 60) -> AppTest:
    return open_app(page="embeddings", timeout=timeout)


def paste_and_embed(app: AppTest, lines: list[str], timeout: float | None = None) -> AppTest:
    app.text_area(key=keys.PASTE).input("\n".join(lines))
    button(app, "Embed").click().run(timeout=timeout)
    assert_no_exception(app)
    return app


def shows_outage(app: AppTest) -> bool:
    return any(HEADLINE in message for message in texts(app.error))


def shows_map(app: AppTest) -> bool:
    return any(chart.proto.spec for chart in app.get("plotly_chart"))


@pytest.mark.postgres
def test_postgres_stopped_keeps_the_typed_texts_says_so_and_embeds_only_new_texts_when_back(
    portal_env: PortalApp, dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    portal_env.database(postgres_url).endpoint(local_server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed")
    app = paste_and_embed(embeddings_page(), FIRST)
    assert any("Embedded 4 texts" in s for s in texts(app.success)) and shows_map(app)
    assert cached_vectors(postgres_url) == 4

    dedicated_postgres.stop()
    app.run()
    assert_no_exception(app)
    assert shows_outage(app)
    assert not shows_map(app)
    assert any(b.label == "Retry now" for b in app.button)
    assert app.text_area(key=keys.PASTE).value == "\n".join(FIRST)  # what was typed is still there

    app.text_area(key=keys.PASTE).input("\n".join(FIRST + TYPED_WHILE_DOWN)).run()  # typing goes on meanwhile
    assert_no_exception(app)
    assert shows_outage(app)
    assert app.text_area(key=keys.PASTE).value == "\n".join(FIRST + TYPED_WHILE_DOWN)

    dedicated_postgres.start()
    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert not shows_outage(app) and shows_map(app)  # the earlier corpus is read back from the cache
    embedded_before = inputs_sent(local_server)
    button(app, "Embed").click().run()
    assert_no_exception(app)
    assert any("Embedded 6 texts (2 embedded, 4 from the cache" in s for s in texts(app.success))
    assert inputs_sent(local_server) - embedded_before == 2
    assert cached_vectors(postgres_url) == 6


@pytest.mark.postgres
def test_database_dropping_mid_run_keeps_every_finished_batch_and_the_rerun_sends_only_the_rest(
    dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    engine = make_engine(postgres_url, connect_args={"connect_timeout": 3})
    upgrade_to_head(engine)
    backend = AzureInferenceBackend(offline_connection(local_server.url))
    explorer = EmbeddingExplorer(make_sessionmaker(engine), backend, backend.connection)
    corpus = topic_texts(400)
    spec = EmbeddingSpec(model="local-embed")
    policy = BatchPolicy(batch_size=20, concurrency=1)

    def stop_after_some_batches(progress: JobProgress) -> None:
        # Batches are written on a worker thread as they arrive: stop once 100 texts are stored.
        if progress.embedded >= 100 and dedicated_postgres.running and cached_vectors(postgres_url) >= 100:
            dedicated_postgres.stop()

    try:
        with pytest.raises(DatabaseUnavailable):
            explorer.embed(corpus, spec, policy=policy, on_progress=stop_after_some_batches)
        dedicated_postgres.start()
        engine.dispose()  # the pool's connections died with the server
        kept = explorer.kept_count(corpus, spec)
        assert 100 <= kept < 400  # every batch stored before the outage is there
        requests_before = embeddings_requests(local_server)
        sent_before = inputs_sent(local_server)
        outcome = explorer.embed(corpus, spec, policy=policy)
        assert outcome.status == "complete" and len(outcome.indices) == 400
        assert outcome.progress.cached == kept
        assert inputs_sent(local_server) - sent_before == 400 - kept  # only the rest was sent
        assert embeddings_requests(local_server) - requests_before == -(-(400 - kept) // 20)
    finally:
        backend.close()
        engine.dispose()


def test_sqlite_locked_by_another_writer_during_embed_says_so_then_works_when_released(
    portal_env: PortalApp, local_server: RunningServer, tmp_path: Path
) -> None:
    portal_env.endpoint(local_server.url, AZURE_INFERENCE_EMBEDDINGS_MODEL="local-embed")
    database_file = tmp_path / "portal.db"
    app = paste_and_embed(embeddings_page(), FIRST)
    assert cached_vectors(f"sqlite:///{database_file}") == 4

    more = FIRST + TYPED_WHILE_DOWN
    with SqliteWriteLock(database_file) as lock:
        paste_and_embed(app, more, timeout=3 * SQLITE_BUSY_TIMEOUT_MS / 1000)  # the cache write waits, then gives up
        assert shows_outage(app)
        assert any("locked" in c.value for c in app.caption)
        assert app.text_area(key=keys.PASTE).value == "\n".join(more)
        lock.release()

    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert not shows_outage(app)
    # The run the lock cut short is reported with what it kept, and Embed finishes it.
    assert any("was interrupted" in w for w in texts(app.warning))
    button(app, "Embed").click().run()
    assert_no_exception(app)
    assert any("Embedded 6 texts" in s for s in texts(app.success)) and shows_map(app)
    assert cached_vectors(f"sqlite:///{database_file}") == 6
