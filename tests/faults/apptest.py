"""Reading the app in AppTest for the fault and bad-input tests. The app itself is opened by
tests/apptest.py (the `portal_app` fixture and `open_app`), re-exported here for these tests."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.apptest import APP, PortalApp, assert_no_exception, open_app
from tests.chat.page import button, transcript

__all__ = ["APP", "PortalApp", "assert_no_exception", "button", "open_app", "transcript"]

PENDING = "pending: not saved yet"
DATABASE_DOWN = "Database unreachable, retrying"


def send(app: AppTest, text: str, timeout: float | None = None) -> AppTest:
    app.chat_input[0].set_value(text).run(timeout=timeout)
    assert_no_exception(app)
    return app


def captions(app: AppTest, index: int) -> list[str]:
    return [c.value for c in app.chat_message[index].caption]


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def shows_database_down(app: AppTest) -> bool:
    return any(DATABASE_DOWN in e for e in texts(app.error)) and any(DATABASE_DOWN in w for w in texts(app.sidebar.warning))
