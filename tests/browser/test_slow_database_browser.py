"""A new chat's message box does not wait for the database.

On a first start the database is created and migrated before the rest of the page is drawn, and a
PostgreSQL server may be slow to answer. The box of a new chat is drawn before the page imports and
opens the database, so it can be typed in meanwhile (benchmark 6 measures this as the first page's
cold start).

The database here is a port that accepts connections and never answers: the page's run waits on it
for as long as the test holds it. Closing it makes the connection fail, and the page says so.
"""

from __future__ import annotations

import socket
import threading

import pytest
from playwright.sync_api import expect

from components.database_notice import HEADLINE
from tests.browser.chat_ui import CHAT_INPUT, EXCEPTION
from tests.browser.conftest import app_environment
from tests.streamlit_process import StreamlitApp


class SilentDatabase:
    """Accepts connections and never answers them (a PostgreSQL server that is slow to open)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self.connected = threading.Event()  # set once the app has opened a connection
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._accepted.append(connection)
            self.connected.set()

    def waiting_clients(self) -> int:
        """Connections the client has not given up on (still open at its end)."""
        waiting = 0
        for connection in self._accepted:
            try:
                waiting += connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""  # b"": the client closed it
            except BlockingIOError:  # open, nothing sent
                waiting += 1
            except OSError:
                pass
        return waiting

    def close(self) -> None:
        self._listener.close()
        for connection in self._accepted:
            connection.close()


@pytest.fixture
def silent_database():
    database = SilentDatabase()
    try:
        yield database
    finally:
        database.close()


def test_a_new_chat_can_be_typed_in_while_the_database_is_still_opening(silent_database, new_context):
    portal = StreamlitApp(
        app_environment(), database_url=f"postgresql+psycopg://postgres@127.0.0.1:{silent_database.port}/test"
    )
    portal.start()
    try:
        page = new_context().new_page()
        page.goto(portal.url)
        box = page.locator(CHAT_INPUT)
        expect(box).to_be_visible()  # drawn before the page imports and opens the database
        assert silent_database.connected.wait(60), "the page never tried to open the database"
        box.fill("typed while the database opens")
        assert silent_database.waiting_clients() >= 1, "the page's run is no longer waiting for the database"

        silent_database.close()  # the connection fails: the page says the database is unreachable
        expect(page.get_by_text(HEADLINE).first).to_be_visible()
        expect(page.locator(EXCEPTION)).to_have_count(0)
        expect(box).to_have_value("typed while the database opens")
    finally:
        portal.cleanup()
