"""Faults seen through the real browser against `streamlit run`: what the user sees while they happen
(the retry wait, the cut reply, the database outage and its automatic recovery), not only the end state."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.browser.chat_ui import (
    CHAT_INPUT,
    assistant_messages,
    expect_no_exception,
    open_app,
    send,
    streamed_words,
    user_messages,
    wait_for_finished_reply,
)
from tests.browser.conftest import app_environment
from tests.chat.support import unique
from tests.faults.support import DedicatedPostgres, ExternalInferenceServer
from tests.streamlit_process import StreamlitApp

pytestmark = pytest.mark.browser

ALERT_ERROR = '[data-testid="stAlertContentError"]'
ALERT_INFO = '[data-testid="stAlertContentInfo"]'


@pytest.fixture(scope="module")
def inference_server() -> Iterator[ExternalInferenceServer]:
    server = ExternalInferenceServer(words_per_second=200).start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def app(inference_server: ExternalInferenceServer) -> Iterator[StreamlitApp]:
    portal = StreamlitApp(app_environment(PORTAL_MAX_RATE_LIMIT_RETRIES="2"), inference_endpoint=inference_server.url)
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


def test_retry_wait_is_shown_then_a_clear_error(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    send(page, unique("/fault 429 busy?"))
    waiting = assistant_messages(page).last.locator(ALERT_INFO)
    expect(waiting).to_contain_text(re.compile(r"The endpoint is rate limiting requests\. Retrying in 1 s \(attempt 1 of 2\)"))
    error = assistant_messages(page).last.locator(ALERT_ERROR)
    expect(error).to_contain_text("Gave up after 2 automatic retries", timeout=20_000)
    expect_no_exception(page)


def test_server_killed_mid_stream_then_restarted(
    app: StreamlitApp, page: Page, inference_server: ExternalInferenceServer
) -> None:
    open_app(page, app.url)
    send(page, unique("/long 2000 /slow 40 tell me everything"))
    streamed_words(page, 30)
    inference_server.kill()
    reply = assistant_messages(page).last
    expect(reply).to_contain_text("The connection dropped before the reply finished", timeout=20_000)
    expect(reply).to_contain_text("what arrived is kept")
    assert len(reply.inner_text().split()) > 30

    inference_server.start()
    send(page, "back again")
    expect(wait_for_finished_reply(page, count=2)).to_contain_text('You said: "back again".')
    expect_no_exception(page)


# -- the database goes away ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_app(dedicated_postgres: DedicatedPostgres, inference_server: ExternalInferenceServer) -> Iterator[StreamlitApp]:
    portal = StreamlitApp(app_environment(), database_url=dedicated_postgres.url(), inference_endpoint=inference_server.url)
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()
        if not dedicated_postgres.running:
            dedicated_postgres.start()


def message_rows(postgres: DedicatedPostgres) -> list[tuple[str, str, str]]:
    engine = create_engine(postgres.url())
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text("SELECT role, status, content FROM messages ORDER BY id"))]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_database_outage_keeps_the_message_pending_and_recovers_by_itself(
    postgres_app: StreamlitApp, dedicated_postgres: DedicatedPostgres, inference_server: ExternalInferenceServer, page: Page
) -> None:
    open_app(page, postgres_app.url)
    send(page, "before the outage")
    wait_for_finished_reply(page, count=1)
    requests_before = inference_server.chat_requests()

    dedicated_postgres.stop()
    second = unique("typed during the outage")
    send(page, second)
    expect(page.get_by_text("Database unreachable, retrying").first).to_be_visible()
    pending = user_messages(page).last
    expect(pending).to_contain_text(second)
    expect(pending).to_contain_text("pending: not saved yet")
    expect_no_exception(page)
    expect(page.locator(CHAT_INPUT)).to_be_editable()
    assert inference_server.chat_requests() == requests_before  # not sent before it is stored

    dedicated_postgres.start()  # no click: the page retries by itself
    reply = wait_for_finished_reply(page, count=2, timeout=40_000)
    expect(reply).to_contain_text(f'You said: "{second}".')
    expect(page.get_by_text("pending: not saved yet")).to_have_count(0)
    expect(page.get_by_text("Database unreachable, retrying")).to_have_count(0)
    rows = message_rows(dedicated_postgres)
    assert [(role, status) for role, status, _ in rows] == [("user", "complete"), ("assistant", "complete")] * 2
    assert rows[2][2] == second
    expect_no_exception(page)
