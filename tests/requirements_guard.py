"""Skip-or-fail guard for tests that need external services.

Why this module exists: locally a developer without PostgreSQL (or another
service) should still get a green run with clear skips, but CI sets
``PORTAL_REQUIRE_ALL=1`` so a missing service fails the build instead of
silently skipping half the suite.
"""

from __future__ import annotations

import os

import pytest

# Where the PostgreSQL the tests need lives (CI: the local server started by .ci/run).
POSTGRES_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def require_or_skip(condition: bool, reason: str) -> None:
    """Do nothing if ``condition`` holds; otherwise skip, or fail when
    ``PORTAL_REQUIRE_ALL=1``."""
    if condition:
        return
    if os.environ.get("PORTAL_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (required because PORTAL_REQUIRE_ALL=1)", pytrace=False)
    pytest.skip(reason)
