"""The real app in Streamlit's AppTest, set up one way for every test layer: the router
(streamlit_app.py) and its pages, configured through the environment as a deployment would be.

`PortalApp` (the `portal_app` fixture in tests/conftest.py) gives a test its own data directory and an
environment with nothing inherited from the shell (no AZURE_INFERENCE_*, PORTAL_* or DATABASE_URL),
with the offline demo streaming as fast as it can. Streamlit's caches are process-wide and outlive an
AppTest (streamlit#9139), so every test starts with fresh ones and ends with
`resources.reset_resources()`: the database engines, SDK clients and offline server the app cached are
released, then every cache is cleared.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"
# The st.Page files, by URL path (what a direct link such as /model_info names).
PAGES = {"chat": "app_pages/chat.py", "embeddings": "app_pages/embeddings.py", "model_info": "app_pages/model_info.py"}


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def open_app(
    conversation_id: str | None = None,
    *,
    page: str | None = None,
    timeout: float = 30,
    secrets: Mapping[str, Any] | None = None,
    user: Mapping[str, Any] | None = None,
    run: bool = True,
    **query: str,
) -> AppTest:
    """The router from streamlit_app.py, opened on `page` (a key of PAGES; the default page otherwise)
    the way a direct link opens it; `conversation_id` and `query` are the URL's query parameters.
    `run=False` returns it unrun (to set session state first); otherwise it has run without an exception."""
    app = AppTest.from_file(str(APP), default_timeout=timeout)
    if page is not None:
        app.switch_page(PAGES[page])
    for name, value in (secrets or {}).items():
        app.secrets[name] = value
    if user is not None:
        app.user = dict(user)
    if conversation_id is not None:
        app.query_params["c"] = conversation_id
    for name, value in query.items():
        app.query_params[name] = value
    if run:
        app.run()
        assert_no_exception(app)
    return app


def reset_streamlit() -> None:
    """Release what the app cached (components.resources) and clear every Streamlit cache."""
    from components import resources  # the Streamlit side, imported late

    resources.reset_resources()
    st.cache_resource.clear()
    st.cache_data.clear()


class PortalApp:
    """The app's environment for one test: its own data dir, nothing inherited from the shell."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, data_dir: Path):
        self._monkeypatch = monkeypatch
        self.data_dir = data_dir
        self.database_url: str | None = None
        self._engine = None
        for name in list(os.environ):
            if name.startswith(("AZURE_INFERENCE_", "PORTAL_")) or name == "DATABASE_URL":
                monkeypatch.delenv(name)
        self.set(PORTAL_DATA_DIR=str(data_dir), PORTAL_OFFLINE_WORDS_PER_SECOND="0")

    def set(self, **variables: str) -> PortalApp:
        for name, value in variables.items():
            self._monkeypatch.setenv(name, value)
        return self

    def endpoint(self, url: str, **extra: str) -> PortalApp:
        """A default connection without auth (the local server), plus any AZURE_INFERENCE_* extras."""
        return self.set(AZURE_INFERENCE_ENDPOINT=url, AZURE_INFERENCE_AUTH="none", **extra)

    def database(self, url: str) -> PortalApp:
        self.database_url = url
        return self.set(DATABASE_URL=url)

    def open(self, conversation_id: str | None = None, **options: Any) -> AppTest:
        """`open_app` in this environment."""
        return open_app(conversation_id, **options)

    @property
    def sessions(self) -> sessionmaker[Session]:
        """A session factory on the app's database (its own engine, migrated to head), to seed and read rows."""
        from storage.engine import default_database_url, make_engine, make_sessionmaker
        from storage.migrate import upgrade_to_head

        if self._engine is None:
            self._engine = make_engine(self.database_url or default_database_url(self.data_dir))
            upgrade_to_head(self._engine)
        return make_sessionmaker(self._engine)

    def release(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        reset_streamlit()


@contextlib.contextmanager
def portal_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[PortalApp]:
    reset_streamlit()
    environment = PortalApp(monkeypatch, data_dir)
    try:
        yield environment
    finally:
        environment.release()
