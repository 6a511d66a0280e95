"""Fixtures for the fault tests: servers that are killed and restarted, a dedicated PostgreSQL that is
stopped and started, and the app's environment (AppTest, tests/apptest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.engine import make_engine
from tests.apptest import PortalApp
from tests.browser.conftest import (  # noqa: F401 (the browser fixtures and failure artifacts, for test_faults_browser)
    browser,
    chromium_path,
    new_context,
    page,
    pytest_runtest_makereport,
)
from tests.faults.support import DedicatedPostgres, ExternalInferenceServer, postgres_unavailable_reason
from tests.requirements_guard import require_or_skip


@pytest.fixture(scope="module")
def external_server_process() -> Iterator[ExternalInferenceServer]:
    server = ExternalInferenceServer(words_per_second=0).start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def external_server(external_server_process: ExternalInferenceServer) -> ExternalInferenceServer:
    """`python -m localserver` in its own process, running when the test starts (a test may kill it)."""
    if not external_server_process.running:
        external_server_process.start()
    return external_server_process


@pytest.fixture(scope="module")
def dedicated_postgres() -> Iterator[DedicatedPostgres]:
    reason = postgres_unavailable_reason()
    require_or_skip(reason is None, reason or "")
    server = DedicatedPostgres().init()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def postgres_admin(dedicated_postgres: DedicatedPostgres) -> Iterator[Engine]:
    engine = make_engine(dedicated_postgres.url(), connect_args={"connect_timeout": 3})
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(dedicated_postgres: DedicatedPostgres, postgres_admin: Engine) -> Iterator[str]:
    """A fresh database on the dedicated server; the server is running again after the test."""
    if not dedicated_postgres.running:
        dedicated_postgres.start()
    url = dedicated_postgres.create_database(postgres_admin)
    yield url
    if not dedicated_postgres.running:
        dedicated_postgres.start()
    postgres_admin.dispose()  # its pooled connections died with any stop


@pytest.fixture
def portal_env(portal_app: PortalApp) -> PortalApp:
    """The app's environment (tests/apptest.py), giving up on a rate-limited call after two retries."""
    return portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="2")
