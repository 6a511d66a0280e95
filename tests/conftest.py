"""Fixtures shared by every test layer: real servers, never mocks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from localserver import RunningServer, ServerConfig, start  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from tests.requirements_guard import POSTGRES_URL  # noqa: E402

if TYPE_CHECKING:
    from tests.apptest import PortalApp

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


@pytest.fixture
def portal_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[PortalApp]:
    """The real app (AppTest) in a clean environment with its own data dir; what it cached is released
    at the end (tests/apptest.py)."""
    from tests.apptest import portal_environment  # Streamlit's testing module, only where it is used

    with portal_environment(monkeypatch, tmp_path) as app:
        yield app


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
    return server.url + "/openai/v1" if api in ("openai", "responses") else server.url


CHAT_WIRES = {"azure-ai-inference": "inference-sdk", "openai": "openai-chat", "responses": "openai-responses"}


@pytest.fixture(params=list(CHAT_WIRES), ids=list(CHAT_WIRES.values()))
def chat_api(request: pytest.FixtureRequest) -> str:
    """Run a chat test once per way a reply can travel: the inference SDK, the openai package's Chat
    Completions, and the openai package's Responses API (`wire = "responses"`)."""
    return request.param


# Chat Completions only: seed, stop sequences and max_tokens under 16 have no Responses API equivalent.
CHAT_COMPLETIONS_ONLY = pytest.mark.parametrize("chat_api", ["azure-ai-inference", "openai"], ids=["inference-sdk", "openai-chat"], indirect=True)


# Stream events before the first word, per chat_api: the role chunk; or response.created,
# response.in_progress, output_item.added and content_part.added (`/fault cut:N` counts events).
PREAMBLE_EVENTS = {"azure-ai-inference": 1, "openai": 1, "responses": 4}


def reply_requests(server: RunningServer, status: int | None = None) -> int:
    """Chat completions and Responses API requests the server answered (with `status`, if given)."""
    return server.state.count("chat", status) + server.state.count("responses", status)


def chat_connection(server_url: str, chat_api: str, **raw):
    """A connection to the local server for `chat_api` (see the fixture); `raw` adds settings."""
    from portal.settings import build_connection, offline_connection

    if not raw:
        return offline_connection(server_url, "openai" if chat_api == "responses" else chat_api, "responses" if chat_api == "responses" else "chat_completions")
    endpoint = server_url + "/openai/v1" if chat_api in ("openai", "responses") else server_url
    wire = {"wire": "responses"} if chat_api == "responses" else {}
    return build_connection("test", {"endpoint": endpoint, "chat_model": "local-chat", **wire, **raw})
