"""The inference server fails: killed mid-stream, answering 429/500/503 every time (or only twice),
or hanging past the timeout. The app is pointed at `python -m localserver` in its own process through
AZURE_INFERENCE_ENDPOINT + AZURE_INFERENCE_AUTH=none, as a deployment would be.

What must hold each time: a clear message, the app keeps serving (the next message works), and
nothing the user typed or received is missing from the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import build_connection
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from tests.chat.support import unique
from tests.faults.apptest import PortalApp, captions, open_app, send, texts, transcript
from tests.faults.support import ExternalInferenceServer, in_background, wait_until

TIMEOUT_SECONDS = 2


def rows(data_dir: Path) -> list[tuple]:
    engine = create_engine(f"sqlite:///{data_dir / 'portal.db'}")
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text("SELECT role, status, content, error FROM messages ORDER BY id"))]
    finally:
        engine.dispose()


def bubble_notes(app, index: int) -> list[str]:
    bubble = app.chat_message[index]
    return texts(bubble.error) + texts(bubble.warning) + texts(bubble.info)


@pytest.fixture
def app_env(portal_env: PortalApp, external_server: ExternalInferenceServer) -> PortalApp:
    return portal_env.endpoint(external_server.url).set(PORTAL_REQUEST_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS))


def test_server_killed_mid_stream_keeps_the_partial_reply_and_the_next_message_works_after_restart(
    app_env: PortalApp, external_server: ExternalInferenceServer
) -> None:
    app = open_app()

    def kill_once_text_is_flushed() -> None:
        wait_until(lambda: len(rows(app_env.data_dir)) == 2 and rows(app_env.data_dir)[1][2], 20, "a flushed partial reply")
        external_server.kill()

    killer = in_background(kill_once_text_is_flushed)
    question = unique("/long 2000 /slow 40 tell me everything")
    send(app, question)
    killer.join(30)
    assert killer.error is None, killer.error

    user, reply = rows(app_env.data_dir)
    assert user[:3] == ("user", "complete", question)
    assert reply[1] == "incomplete"
    assert 0 < len(reply[2].split()) < 2000  # what arrived is kept
    shown = transcript(app)
    assert shown[1] == ("assistant", reply[2])
    notes = bubble_notes(app, 1)
    assert len(notes) == 1 and notes[0].startswith("The connection dropped before the reply finished; what arrived is kept."), notes

    # While the server is down: a clear connection error, the text is kept, the page keeps serving.
    down = unique("anyone there?")
    send(app, down)
    assert rows(app_env.data_dir)[2][:3] == ("user", "complete", down)
    assert "The endpoint could not be reached" in rows(app_env.data_dir)[3][3]
    assert any("The endpoint could not be reached" in n for n in bubble_notes(app, 3))

    external_server.start()
    after = unique("back again")
    send(app, after)
    assert rows(app_env.data_dir)[4:] == [
        ("user", "complete", after, None),
        ("assistant", "complete", transcript(app)[5][1], None),
    ]
    assert transcript(app)[5][1].startswith(f'You said: "{after}".')


@pytest.mark.parametrize(
    ("fault", "message"),
    [("429", "The endpoint is rate limiting requests"), ("500", "The model service failed"), ("503", "The model service failed")],
)
def test_server_failing_every_time_is_retried_a_bounded_number_of_times_then_a_clear_error(
    app_env: PortalApp, external_server: ExternalInferenceServer, fault: str, message: str
) -> None:
    app = open_app()
    before = external_server.chat_requests()
    question = unique(f"/fault {fault} are you there?")
    send(app, question)

    assert external_server.chat_requests() - before == 3  # the first try and PORTAL_MAX_RATE_LIMIT_RETRIES=2
    user, reply = rows(app_env.data_dir)
    assert user[:3] == ("user", "complete", question)
    assert reply[1] == "error"
    assert message in reply[3] and "Gave up after 2 automatic retries" in reply[3]
    notes = bubble_notes(app, 1)
    assert len(notes) == 1 and message in notes[0] and "Gave up after 2 automatic retries" in notes[0]

    send(app, "and now?")
    assert rows(app_env.data_dir)[3][1] == "complete"


def test_server_failing_twice_recovers_by_itself(app_env: PortalApp, external_server: ExternalInferenceServer) -> None:
    app = open_app()
    before = external_server.chat_requests()
    question = unique("/fault 503x2 steady now")
    send(app, question)

    assert external_server.chat_requests() - before == 3
    user, reply = rows(app_env.data_dir)
    assert reply[1] == "complete" and reply[3] is None
    assert transcript(app)[1][1].startswith('You said: "steady now')
    assert bubble_notes(app, 1) == []


def test_retry_waits_are_reported_while_waiting(external_server: ExternalInferenceServer, tmp_path: Path) -> None:
    """What the page shows during the waits ("Retrying in 1 s (attempt 1 of 2)…") comes from on_wait."""
    engine = make_engine(f"sqlite:///{tmp_path / 'waits.db'}")
    upgrade_to_head(engine)
    backend = AzureInferenceBackend(build_connection("external", {"endpoint": external_server.url, "auth": "none"}))
    service = ChatService(make_sessionmaker(engine), backend)
    waits = []
    try:
        user = service.add_user_message(None, unique("/fault 429"), ChatSettings())
        prepared = service.prepare_reply(
            user.conversation_id, ChatSettings(), max_retries=2, on_wait=lambda s, n, e: waits.append((s, n, e.status_code))
        )
        assert "".join(prepared.stream) == ""
        assert waits == [(1.0, 1, 429), (1.0, 2, 429)]  # Retry-After: 1, honoured
        assert prepared.stream.outcome.waited_seconds == 2.0
    finally:
        backend.close()
        engine.dispose()


def test_server_hanging_past_the_timeout_gives_a_timeout_message_and_keeps_the_text(
    app_env: PortalApp, external_server: ExternalInferenceServer
) -> None:
    app = open_app()
    question = unique("/fault hang:30 take your time")
    send(app, question)  # an error, not the reply the server would send after 30 s: the 2 s timeout ended it

    user, reply = rows(app_env.data_dir)
    assert user[:3] == ("user", "complete", question)
    assert reply[1] == "error" and "did not answer in time" in reply[3]
    assert transcript(app)[0] == ("user", question)
    assert any("did not answer in time" in n for n in bubble_notes(app, 1))

    send(app, "quick one")  # the hanging request does not hold the app: the next one completes
    assert rows(app_env.data_dir)[3][1] == "complete"
    assert "finish: stop" in captions(app, 3)[-1]
