"""Fixtures shared by every test layer: real servers, never mocks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402

from localserver import RunningServer, ServerConfig, start  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from tests.requirements_guard import POSTGRES_URL  # noqa: E402

TEST_API_KEY = "local-test-key-not-a-secret"


@pytest.fixture(scope="session")
def local_server() -> RunningServer:
    """The local inference server without auth, streaming as fast as possible."""
    server = start(config=ServerConfig(words_per_second=0))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keyed_server() -> RunningServer:
    """The local inference server started with an API key (TEST_API_KEY)."""
    server = start(config=ServerConfig(api_key=TEST_API_KEY, words_per_second=0))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def router_runs_every_time(monkeypatch) -> None:
    """Make AppTest re-run the router (streamlit_app.py) on every run, as the real server does.

    AppTest resets `PagesManager.uses_pages_directory` before each run; because this repo has a
    `pages/` folder next to the entry point, Streamlit then treats the app as a v1 multipage app
    and, from the second run on, executes the page file directly, skipping the router (no
    connection picker, no banner). In a running server `st.navigation` has already switched that
    flag off for good after the first run; this fixture does the same for AppTest.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[tuple[Engine | None, str]]:
    """An engine on the PostgreSQL test database, or ``None`` and why not."""
    engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    safe_url = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        detail = str(exc.orig or exc).strip().splitlines()[0]
        yield None, f"PostgreSQL is not reachable at {safe_url}: {detail}"
        return
    yield engine, ""
    engine.dispose()


# -- both inference APIs ------------------------------------------------------------------------------

API_IDS = {"azure-ai-inference": "inference-sdk", "openai": "openai-v1"}


@pytest.fixture(params=list(API_IDS), ids=list(API_IDS.values()))
def api(request: pytest.FixtureRequest) -> str:
    """Run the test once through each backend: azure-ai-inference on the local server's Azure AI Model
    Inference routes, and the openai package on its OpenAI v1 routes (`/openai/v1`)."""
    return request.param


def endpoint_for(server: RunningServer, api: str) -> str:
    """The local server's endpoint for `api`: its root (serverless style), or Foundry's `/openai/v1`."""
    return server.url + "/openai/v1" if api == "openai" else server.url
