"""The local server the SDK samples and the openai package's examples run against (one subprocess for both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk_samples.support import LocalServer, serve_local_server


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """`python -m localserver` as a subprocess, with an API key and streaming as fast as possible."""
    yield from serve_local_server(tmp_path_factory)
