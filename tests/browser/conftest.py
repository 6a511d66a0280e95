"""Browser fixtures: one headless Chromium per session (the system one, never a downloaded build),
the app as a real `streamlit run` subprocess per module, and a fresh browser context per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.requirements_guard import require_or_skip
from tests.streamlit_process import StreamlitApp

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
FAST_WORDS_PER_SECOND = "200"  # tests that need a slow reply ask for it with `/slow R`
EXPECT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.resolve().is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def app_environment(**extra: str) -> dict[str, str]:
    return {"PORTAL_OFFLINE_WORDS_PER_SECOND": FAST_WORDS_PER_SECOND, **extra}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PORTAL_CHROMIUM") or DEFAULT_CHROMIUM
    require_or_skip(
        Path(path).is_file() and os.access(path, os.X_OK),
        f"Chromium not found at {path}; apt-get install chromium (or set PORTAL_CHROMIUM)",
    )
    return path


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps an event loop running in the
def browser(chromium_path: str):  # main thread while open, which breaks asyncio.run() in later test modules
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def app():
    """The portal on the offline backend with a fresh data dir, shared by the tests of one module."""
    portal = StreamlitApp(app_environment())
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save_artifacts(contexts: list, directory: Path) -> list[str]:
    saved = []
    for c_index, context in enumerate(contexts):
        for p_index, open_page in enumerate(context.pages):
            stem = directory / f"context{c_index}-page{p_index}"
            try:
                open_page.screenshot(path=f"{stem}.png", full_page=True)
                Path(f"{stem}.html").write_text(open_page.content(), "utf-8")
                saved.append(f"{stem}.png ({open_page.url})")
            except Exception as exc:  # noqa: BLE001 (diagnostics must not hide the real failure)
                saved.append(f"{stem}: could not save ({exc})")
    return saved


@pytest.fixture
def new_context(browser, request: pytest.FixtureRequest, tmp_path: Path):
    """Open more isolated browser contexts (own cookies, storage, Streamlit session) within one test.
    On failure a screenshot and the HTML of every open page are saved in the test's tmp_path."""
    contexts = []

    def make(viewport: dict[str, int] | None = None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for line in _save_artifacts(contexts, tmp_path):
            print(f"browser artifact: {line}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
