"""Security tests: the browser fixtures of tests/browser (system Chromium, module-scoped browser, a fresh
context per test, the offline `app`, screenshots on failure), re-exported for this folder."""

from __future__ import annotations

from tests.browser.conftest import (  # noqa: F401 (fixtures and the report hook are found by name)
    app,
    browser,
    chromium_path,
    new_context,
    page,
    pytest_runtest_makereport,
)
