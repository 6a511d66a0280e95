"""A planted API key is found nowhere: not in the database files, the log, any page, any websocket
frame, any HTTP response, nor any exported file.

The app runs under `streamlit run` with the key as `AZURE_INFERENCE_CREDENTIAL` for a local inference
server that only answers that key (so every successful call proves the key was really used), with
Streamlit's debug logging and console tracing on (the log is one of the places searched). The test
walks every page as a person would: a chat message and its reply, an error reply (401), both chat
exports, model info with `/info`, `load_client()` and the connection test, the embeddings run, a
search, and both CSV exports, then searches everything it captured (see leak_scan.py).

The search can fail: at the end the key is typed into the chat on purpose, and the same search must
then find it in the database, the log (traced message content), the page HTML, the websocket
frames and an export.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from localserver import RunningServer, ServerConfig, start
from tests.browser.chat_ui import (
    NAV_LINKS,
    close_export,
    expect_no_exception,
    open_app,
    open_export,
    send,
    wait_for_finished_reply,
    wait_until_idle,
)
from tests.browser.conftest import app_environment
from tests.security.leak_scan import Evidence, find_leaks
from tests.streamlit_process import StreamlitApp

pytestmark = pytest.mark.browser

PLANTED_KEY = f"planted-key-7f3a9c2e{secrets.token_hex(12)}"
MASKED = f"••••{PLANTED_KEY[-4:]}"


class KeyedPortal(StreamlitApp):
    """The portal on a real endpoint with an API key. StreamlitApp strips `AZURE_INFERENCE_*` from what
    it is given (its point is the offline demo), so this subclass adds them back explicitly."""

    def __init__(self, endpoint: str, key: str):
        super().__init__(
            app_environment(
                STREAMLIT_LOGGER_LEVEL="debug",  # the same as --logger.level=debug
                PORTAL_TRACING="console",
                PORTAL_TRACING_CONTENT="true",
                OTEL_BSP_SCHEDULE_DELAY="100",  # spans reach the log within 0.1 s, not 5 s
            )
        )
        self._azure = {
            "AZURE_INFERENCE_ENDPOINT": endpoint,
            "AZURE_INFERENCE_CREDENTIAL": key,
            "AZURE_INFERENCE_MODEL": "local-chat",
            "AZURE_INFERENCE_EMBEDDINGS_MODEL": "local-embed",
        }

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self._azure}

    def database_files(self) -> list[Path]:
        return sorted(self.data_dir.glob("portal.db*"))  # the database, -wal and -shm


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[RunningServer]:
    server = start(config=ServerConfig(api_key=PLANTED_KEY, words_per_second=0))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keyed_portal(keyed_server: RunningServer) -> Iterator[KeyedPortal]:
    portal = KeyedPortal(keyed_server.url, PLANTED_KEY)
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


class Recorder:
    """Everything the browser received: websocket frames, HTTP responses (not the static bundle),
    page HTML snapshots and downloaded files."""

    def __init__(self, page: Page, app_url: str, evidence: Evidence):
        self.page, self.app_url, self.evidence = page, app_url, evidence
        page.on("websocket", self._websocket)
        page.on("response", self._response)

    def _websocket(self, socket) -> None:
        socket.on("framereceived", lambda payload: self.evidence.add("websocket frame received", payload))
        socket.on("framesent", lambda payload: self.evidence.add("websocket frame sent", payload))

    def _response(self, response) -> None:
        if "/static/" in response.url:
            return
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 (redirects and aborted requests have no body)
            return
        self.evidence.add(f"HTTP response {response.url.split('?')[0]}", body)
        self.evidence.add("HTTP response headers", repr(response.headers))

    def snapshot(self, name: str) -> None:
        wait_until_idle(self.page)
        self.evidence.add(f"page HTML ({name})", self.page.content())

    def download(self, button_name: str | re.Pattern[str], within: Locator | None = None) -> bytes:
        with self.page.expect_download() as info:
            (within or self.page).get_by_role("button", name=button_name).click()
        data = Path(info.value.path()).read_bytes()
        self.evidence.add(f"exported file {info.value.suggested_filename}", data)
        return data


def go_to(page: Page, name: str, heading: str | re.Pattern[str] | None = None) -> None:
    page.locator(NAV_LINKS).filter(has_text=re.compile(rf"{name}\s*$")).click()
    expect(page.get_by_role("heading", level=1, name=heading or name)).to_be_visible()
    wait_until_idle(page)


def collect_files(portal: KeyedPortal, evidence: Evidence, label: str) -> None:
    for path in portal.database_files():
        evidence.add_file(f"database file {label}", path)
    evidence.add_file(f"process log {label}", portal.log_path)


def walk_every_page(page: Page, recorder: Recorder) -> None:
    # Chat: a reply, an error reply, both exports.
    send(page, "hello, please answer briefly")
    wait_for_finished_reply(page, count=1)
    send(page, "this one fails /fault 401")
    expect(page.locator('[data-testid="stAlertContentError"]').last).to_be_visible(timeout=30_000)
    recorder.snapshot("chat")
    export = open_export(page)
    assert b'"messages"' in recorder.download("JSON", within=export)
    assert b"hello, please answer briefly" in recorder.download("Markdown", within=export)
    close_export(page)

    # Model info: the connection with the key masked, /info, load_client(), the connection test.
    go_to(page, "Model info")
    expect(page.get_by_text(f"API key {MASKED}", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("local-chat")
    page.get_by_role("button", name="Detect with load_client()").click()
    expect(page.get_by_text(re.compile(r"load_client\(\) returns"))).to_be_visible()
    page.get_by_role("button", name="Run connection test").click()
    expect(page.get_by_text("Mean tokens per second")).to_be_visible(timeout=60_000)
    recorder.snapshot("model info")

    # Embeddings: a run over the sample texts, a search, both CSV exports.
    go_to(page, "Embeddings")
    page.get_by_role("button", name="Embed", exact=True).click()
    search = page.get_by_label("Search (nearest neighbours of a query)")
    expect(search).to_be_visible(timeout=60_000)
    search.fill("a man eats")
    search.press("Enter")
    wait_until_idle(page)
    assert b"A man is eating food." in recorder.download("Points CSV")
    assert recorder.download(re.compile(r"Similarity matrix CSV"))
    recorder.snapshot("embeddings")
    expect_no_exception(page)


def test_the_api_key_is_found_nowhere(keyed_portal: KeyedPortal, keyed_server: RunningServer, page: Page) -> None:
    evidence = Evidence()
    recorder = Recorder(page, keyed_portal.url, evidence)
    open_app(page, keyed_portal.url)
    walk_every_page(page, recorder)

    # The key was used (the server answers nothing else) for chat, /info and embeddings.
    answered = {(r.operation, r.status) for r in keyed_server.state.requests}
    assert {("chat", 200), ("embeddings", 200)} <= answered, answered
    assert all(r.status != 401 or r.operation == "chat" for r in keyed_server.state.requests)

    time.sleep(0.5)  # spans are exported every 0.1 s
    collect_files(keyed_portal, evidence, "while running")
    log = keyed_portal.log_path.read_text("utf-8", "replace")
    assert "Running script" in log, "debug logging is not on, so the log proves little"  # a DEBUG-level line
    assert '"gen_ai.' in log, "no trace spans in the log, so the log proves little"
    for source in ("websocket frame received", "HTTP response", "page HTML", "exported file", "database file", "process log"):
        assert evidence.count(source) > 0, f"nothing captured from {source}"
    assert find_leaks(evidence, PLANTED_KEY) == []

    # The control: the key typed into the chat must now be found by the very same search.
    control = Evidence()
    recorder.evidence = control
    go_to(page, "Chat", heading="hello, please answer briefly")  # the chat page reopens the session's conversation
    page.get_by_role("button", name="New chat").first.click()
    expect(page.get_by_role("heading", level=1, name="New chat")).to_be_visible()
    wait_until_idle(page)
    send(page, f"my key is {PLANTED_KEY} keep it")
    wait_for_finished_reply(page, count=1)
    recorder.snapshot("control")
    recorder.download("JSON", within=open_export(page))
    close_export(page)
    time.sleep(0.5)
    keyed_portal.stop()  # checkpoints the database and flushes the tracer
    collect_files(keyed_portal, control, "after the control")
    hits = find_leaks(control, PLANTED_KEY)
    for source in ("websocket frame received", "page HTML", "exported file", "database file", "process log"):
        assert any(hit.startswith(source) for hit in hits), f"the control key was not found in {source}: {hits}"
