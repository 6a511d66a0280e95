"""AppTest plumbing for the fault and bad-input tests: the real router and pages, configured through
the environment exactly as a deployment would be (endpoint, auth, database, timeouts).

Streamlit's caches outlive an AppTest (streamlit#9139), so every test starts and ends with cleared
caches, and what the app cached (engine, offline server) is released at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.chat.page import text_of

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PENDING = "pending: not saved yet"
DATABASE_DOWN = "Database unreachable, retrying"


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


class PortalEnvironment:
    """The app's environment for one test: its own data dir, nothing inherited from the shell."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, data_dir: Path):
        self._monkeypatch = monkeypatch
        self.data_dir = data_dir
        self.database_url: str | None = None
        for name in list(os.environ):
            if name.startswith(("AZURE_INFERENCE_", "PORTAL_")) or name == "DATABASE_URL":
                monkeypatch.delenv(name)
        self.set(PORTAL_DATA_DIR=str(data_dir), PORTAL_OFFLINE_WORDS_PER_SECOND="0", PORTAL_MAX_RATE_LIMIT_RETRIES="2")

    def set(self, **variables: str) -> PortalEnvironment:
        for name, value in variables.items():
            self._monkeypatch.setenv(name, value)
        return self

    def endpoint(self, url: str, **extra: str) -> PortalEnvironment:
        """A default connection without auth (the local server), plus any AZURE_INFERENCE_* extras."""
        return self.set(AZURE_INFERENCE_ENDPOINT=url, AZURE_INFERENCE_AUTH="none", **extra)

    def database(self, url: str) -> PortalEnvironment:
        self.database_url = url
        return self.set(DATABASE_URL=url)

    def release(self) -> None:
        from components import resources  # the Streamlit side, imported late

        with contextlib.suppress(Exception):
            settings = resources.get_settings()
            if settings.needs_offline_server:
                resources._offline_server(settings.offline_words_per_second).stop(timeout=1)
        with contextlib.suppress(Exception):
            from storage.engine import default_database_url

            resources._database(self.database_url or default_database_url(self.data_dir)).kw["bind"].dispose()
        clear_caches()


@contextlib.contextmanager
def portal_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[PortalEnvironment]:
    clear_caches()
    environment = PortalEnvironment(monkeypatch, data_dir)
    try:
        yield environment
    finally:
        environment.release()


def open_app(conversation_id: str | None = None, *, timeout: float = 30, **query: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=timeout)
    if conversation_id is not None:
        app.query_params["c"] = conversation_id
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert_no_exception(app)
    return app


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def send(app: AppTest, text: str, timeout: float | None = None) -> AppTest:
    app.chat_input[0].set_value(text).run(timeout=timeout)
    assert_no_exception(app)
    return app


def transcript(app: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every chat bubble: the user's text as typed, the model's as Markdown."""
    return [(m.name, text_of(m)) for m in app.chat_message]


def captions(app: AppTest, index: int) -> list[str]:
    return [c.value for c in app.chat_message[index].caption]


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def button(app: AppTest, label: str):
    matches = [b for b in app.button if b.label == label]
    assert len(matches) == 1, f"expected one {label!r} button, found {[b.label for b in app.button]}"
    return matches[0]


def shows_database_down(app: AppTest) -> bool:
    return any(DATABASE_DOWN in e for e in texts(app.error)) and any(DATABASE_DOWN in w for w in texts(app.sidebar.warning))
