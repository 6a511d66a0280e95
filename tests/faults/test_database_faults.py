"""The database goes away mid-session: a dedicated PostgreSQL stopped and started again, and a SQLite
file locked by another process for longer than the busy timeout.

What must hold: the page never shows a stack trace; a message sent meanwhile stays visible as
pending and is NOT sent to the model until it is stored (write order); when the database answers
again the message is stored and answered; a reply that finished while the database was away is
written afterwards. Rows are counted in the database itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from localserver import RunningServer
from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.inference.azure_backend import AzureInferenceBackend
from portal.outbox import Outbox
from portal.settings import offline_connection
from storage.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_sessionmaker
from storage.errors import DatabaseUnavailable
from storage.migrate import upgrade_to_head
from tests.chat.support import unique
from tests.faults.apptest import (
    PENDING,
    PortalApp,
    assert_no_exception,
    button,
    captions,
    open_app,
    send,
    shows_database_down,
    transcript,
)
from tests.faults.support import DedicatedPostgres, SqliteWriteLock, count_rows, in_background, wait_until


def stored_messages(url: str) -> list[tuple[str, str, str]]:
    """(role, status, content) of every message, read with a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT role, status, content FROM messages ORDER BY id")).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def pending_bubbles(app) -> list[tuple[str, str]]:
    return [shown for index, shown in enumerate(transcript(app)) if any(PENDING in c for c in captions(app, index))]


# -- service level: the stream outlives the database ----------------------------------------------


@pytest.mark.postgres
def test_database_drop_during_a_stream_keeps_streaming_and_writes_the_finished_reply_later(
    dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    engine = make_engine(postgres_url, connect_args={"connect_timeout": 3})
    upgrade_to_head(engine)
    backend = AzureInferenceBackend(offline_connection(local_server.url))
    service = ChatService(make_sessionmaker(engine), backend)
    outbox = Outbox({})
    try:
        user = service.add_user_message(None, "/long 120 tell me a story", ChatSettings())
        prepared = service.prepare_reply(user.conversation_id, ChatSettings(), flush_interval=0, on_unsaved=outbox.queue_reply)
        chunks = []
        for chunk in prepared.stream:
            chunks.append(chunk)
            if len(chunks) == 20:
                dedicated_postgres.stop()  # flushes from here on fail; the stream must not notice
        outcome = prepared.stream.outcome
        assert outcome.status == "complete"
        assert outcome.content == "".join(chunks)
        assert len(outcome.content.split()) == 120
        assert not prepared.saved
        assert [r.message_id for r in outbox.replies] == [prepared.assistant_message_id]

        with pytest.raises(DatabaseUnavailable):
            service.flush_outbox(outbox, ChatSettings())  # still down: nothing lost, still queued
        assert len(outbox.replies) == 1

        dedicated_postgres.start()
        (_, status, partial) = stored_messages(postgres_url)[1]
        assert status == "streaming" and partial and outcome.content.startswith(partial)  # flushed before the drop
        assert service.flush_outbox(outbox, ChatSettings()) is None
        assert not outbox
        assert stored_messages(postgres_url) == [
            ("user", "complete", "/long 120 tell me a story"),
            ("assistant", "complete", outcome.content),
        ]
    finally:
        backend.close()
        engine.dispose()


@pytest.mark.postgres
def test_stored_message_leaves_the_outbox_and_its_reply_becomes_due(
    dedicated_postgres: DedicatedPostgres, postgres_url: str
) -> None:
    engine = make_engine(postgres_url, connect_args={"connect_timeout": 3})
    upgrade_to_head(engine)
    service = ChatService(make_sessionmaker(engine), backend=None)  # no model call in this test
    outbox = Outbox({})
    try:
        dedicated_postgres.stop()
        outbox.queue_message(None, "first while down")
        outbox.queue_message(None, "second while down")
        with pytest.raises(DatabaseUnavailable):
            service.flush_outbox(outbox, ChatSettings())
        assert [m.text for m in outbox.messages] == ["first while down", "second while down"]
        dedicated_postgres.start()
        conversation_id = service.flush_outbox(outbox, ChatSettings())
        assert conversation_id is not None and not outbox
        assert outbox.take_reply_due(conversation_id) and not outbox.take_reply_due(conversation_id)
        assert count_rows(postgres_url, "conversations") == 1  # both went into the one new conversation, in order
        assert [content for _, _, content in stored_messages(postgres_url)] == ["first while down", "second while down"]
    finally:
        engine.dispose()


# -- the chat page (AppTest) against the dedicated PostgreSQL -----------------------------------------


@pytest.mark.postgres
def test_postgres_stopped_mid_session_keeps_the_message_pending_then_stores_and_answers_it(
    portal_env: PortalApp, dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    portal_env.database(postgres_url).endpoint(local_server.url)
    app = send(open_app(), unique("first question"))
    assert len(stored_messages(postgres_url)) == 2

    dedicated_postgres.stop()
    app.run()
    assert_no_exception(app)
    assert shows_database_down(app)

    requests_before = local_server.state.count("chat")
    second = unique("second question while the database is down")
    send(app, second)
    assert shows_database_down(app)
    assert pending_bubbles(app) == [("user", second)]  # the text stays visible, marked pending
    assert local_server.state.count("chat") == requests_before  # not sent to the model before it is stored
    assert any(b.label == "Retry now" for b in app.button)

    dedicated_postgres.start()
    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert not shows_database_down(app) and pending_bubbles(app) == []
    rows = stored_messages(postgres_url)
    assert [(role, status) for role, status, _ in rows] == [("user", "complete"), ("assistant", "complete")] * 2
    assert rows[2][2] == second
    assert rows[3][2].startswith(f'You said: "{second}".')  # answered after it was stored
    assert local_server.state.count("chat") == requests_before + 1
    assert [role for role, _ in transcript(app)] == ["user", "assistant"] * 2


@pytest.mark.postgres
def test_postgres_down_before_the_first_page_load_then_back(
    portal_env: PortalApp, dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    portal_env.database(postgres_url).endpoint(local_server.url)
    dedicated_postgres.stop()
    app = open_app()  # the engine cannot even be created and migrated
    assert shows_database_down(app)
    text_sent = unique("hello from a cold start")
    send(app, text_sent)
    assert pending_bubbles(app) == [("user", text_sent)]

    dedicated_postgres.start()
    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert app.query_params["c"]
    assert [(r, s) for r, s, _ in stored_messages(postgres_url)] == [("user", "complete"), ("assistant", "complete")]
    assert transcript(app)[0] == ("user", text_sent)


@pytest.mark.postgres
def test_postgres_stopped_while_a_reply_streams_keeps_the_reply_and_writes_it_when_back(
    portal_env: PortalApp, dedicated_postgres: DedicatedPostgres, postgres_url: str, local_server: RunningServer
) -> None:
    portal_env.database(postgres_url).endpoint(local_server.url)
    app = open_app()
    requests_before = local_server.state.count("chat")

    def stop_once_streaming() -> None:
        wait_until(lambda: local_server.state.count("chat") > requests_before, 20, "the chat request")
        wait_until(
            lambda: len(stored_messages(postgres_url)) == 2 and stored_messages(postgres_url)[1][2], 20, "a flushed partial reply"
        )
        dedicated_postgres.stop()

    stopper = in_background(stop_once_streaming)
    send(app, "/long 200 /slow 40 " + unique("a story while the database goes away"))
    stopper.join(30)
    assert stopper.error is None, stopper.error

    assert shows_database_down(app)
    pending = pending_bubbles(app)
    assert len(pending) == 1 and pending[0][0] == "assistant"
    received = pending[0][1]
    assert len(received.split()) == 200  # the whole reply arrived and is shown, marked pending

    dedicated_postgres.start()
    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert not shows_database_down(app) and pending_bubbles(app) == []
    rows = stored_messages(postgres_url)
    assert [(role, status) for role, status, _ in rows] == [("user", "complete"), ("assistant", "complete")]
    assert rows[1][2] == received
    assert transcript(app)[1] == ("assistant", received)


# -- SQLite locked by another process -----------------------------------------------------------------


@pytest.mark.parametrize("statement", ["BEGIN EXCLUSIVE", "BEGIN IMMEDIATE"])
def test_sqlite_locked_by_another_writer_keeps_the_message_pending_then_stores_it(
    portal_env: PortalApp, local_server: RunningServer, tmp_path: Path, statement: str
) -> None:
    portal_env.endpoint(local_server.url)
    database_file = tmp_path / "portal.db"
    url = f"sqlite:///{database_file}"
    app = send(open_app(), unique("before the lock"))
    assert len(stored_messages(url)) == 2

    requests_before = local_server.state.count("chat")
    second = unique("typed while another process holds the write lock")
    with SqliteWriteLock(database_file, statement) as lock:
        send(app, second, timeout=3 * SQLITE_BUSY_TIMEOUT_MS / 1000)
        assert shows_database_down(app)
        assert any("locked" in c.value for c in app.caption)
        assert pending_bubbles(app) == [("user", second)]
        assert local_server.state.count("chat") == requests_before
        assert len(stored_messages(url)) == 2  # readers still read in WAL mode: nothing was written
        lock.release()

    button(app, "Retry now").click().run()
    assert_no_exception(app)
    assert not shows_database_down(app)
    rows = stored_messages(url)
    assert [(role, status) for role, status, _ in rows] == [("user", "complete"), ("assistant", "complete")] * 2
    assert rows[2][2] == second and rows[3][2].startswith(f'You said: "{second}".')
