"""Start several `streamlit run` instances of the portal on one database, together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page

from tests.browser.chat_ui import open_app, wait_until_idle
from tests.browser.conftest import app_environment
from tests.streamlit_process import StreamlitApp


def start_together(apps: list[StreamlitApp]) -> list[StreamlitApp]:
    """Start every app at the same moment (one thread each); if one fails, stop them all."""
    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        outcomes = [pool.submit(app.start) for app in apps]
    errors = [future.exception() for future in outcomes if future.exception() is not None]
    if errors:
        for app in apps:
            app.cleanup()
        raise errors[0]
    return apps


def instances_on(database_url: str, count: int = 2, **env: str) -> list[StreamlitApp]:
    """`count` instances of the offline-demo portal sharing `database_url`, started together."""
    return start_together([StreamlitApp(app_environment(**env), database_url=database_url) for _ in range(count)])


def open_ready(page: Page, url: str) -> None:
    """Open the app and wait until its first script run has ended, so that a message sent next
    is not typed into a page that is still being drawn (a fresh instance's first run is slow)."""
    open_app(page, url)
    wait_until_idle(page)
