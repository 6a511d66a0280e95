"""Fixtures shared by every test layer: real servers, never mocks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from localserver import RunningServer, ServerConfig, start  # noqa: E402

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
