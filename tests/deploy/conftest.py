"""Fixtures for running the portal as a team would: several instances on one PostgreSQL database,
behind nginx. The browser fixtures are the ones of `tests/browser` (module-scoped Chromium, a fresh
context per call of `new_context`), imported so that both suites drive the browser the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (  # noqa: F401 (pytest finds fixtures and hooks by name)
    browser,
    chromium_path,
    new_context,
    page,
    pytest_runtest_makereport,
)
from tests.requirements_guard import require_or_skip
from tests.streamlit_process import StreamlitApp

from .instances import instances_on
from .postgres import throwaway_database, unreachable_reason


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.resolve().is_relative_to(here):
            item.add_marker(pytest.mark.postgres)
            if {"browser", "new_context", "chromium_path"} & set(getattr(item, "fixturenames", ())):
                item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = unreachable_reason()
    require_or_skip(reason is None, reason or "")


@pytest.fixture(scope="module")
def database_url(postgres_available: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this module, dropped afterwards."""
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="module")
def instances(database_url: str) -> Iterator[list[StreamlitApp]]:
    """Two portal instances (offline demo backend) on the module's PostgreSQL database."""
    apps = instances_on(database_url, 2)
    try:
        yield apps
    finally:
        for app in apps:
            report_errors(app)
            app.cleanup()


def report_errors(app: StreamlitApp) -> None:
    """Print the app's log when it holds a traceback (pytest shows it with a failing test)."""
    log = app.log_tail(200_000)
    if "Traceback" in log:
        print(f"instance on port {app.port} logged an error:\n{log[-20_000:]}")
