"""Compare mode end to end in Chromium: targets chosen in the Compare panel, one prompt streaming to all
of them at once in columns, a failing target's error in its own column, a per-column Stop, "Continue
with this", and a reload."""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.streamlit_process import StreamlitApp

from .chat_ui import (
    CHAT_INPUT,
    POPOVER_BODY,
    STOP_BUTTON,
    assistant_messages,
    conversation_id,
    expect_no_exception,
    open_app,
    send,
    wait_until_idle,
)
from .conftest import app_environment

pytestmark = pytest.mark.browser

# Records when each column first shows the model's words (the local model restates "You said: ...")
# and when its stats line says it finished.
WATCH_FIRST_WORDS = """() => {
  window.__firstWords = {};
  window.__finished = {};
  window.__watch = setInterval(() => {
    for (const i of [0, 1, 2, 3]) {
      const column = document.querySelector(`.st-key-compare_col_${i}`);
      if (!column) continue;
      const text = column.innerText;
      if (!(i in window.__firstWords) && text.includes('You said')) window.__firstWords[i] = performance.now();
      if (!(i in window.__finished) && text.includes('finish: stop')) window.__finished[i] = performance.now();
    }
  }, 5);
}"""


@pytest.fixture(scope="module")
def app():
    portal = StreamlitApp(app_environment(PORTAL_MAX_RATE_LIMIT_RETRIES="1"))
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


def column(page: Page, index: int) -> Locator:
    return page.locator(f".st-key-compare_col_{index}")


def set_up_targets(page: Page, count: int, prompts: dict[int, str]) -> None:
    """Switch compare mode on in the Compare panel, with `count` targets and their own system prompts."""
    body = page.locator(POPOVER_BODY).filter(has_text="Compare models")
    page.locator(".st-key-compare_popover button:visible").click()
    expect(body).to_be_visible()
    body.get_by_text("Compare models").click()
    wait_until_idle(page)
    targets = body.get_by_label("Targets", exact=True)
    expect(targets).to_be_visible()
    if count != 2:
        targets.fill(str(count))
        targets.press("Enter")
        wait_until_idle(page)
    expect(body.get_by_text(f"Target {count}", exact=True)).to_be_visible()
    for number, prompt in prompts.items():
        box = body.get_by_label(f"System prompt ({number})", exact=True)
        box.fill(prompt)
        box.press("Enter")
        wait_until_idle(page)
    page.keyboard.press("Escape")
    expect(body).to_have_count(0)
    wait_until_idle(page)


def test_three_targets_one_failing_then_continue_with_the_second(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    set_up_targets(page, 3, {3: "You are the failing target. /fault 500"})
    expect(page.get_by_text("each message goes to 3 targets")).to_be_visible()

    page.evaluate(WATCH_FIRST_WORDS)
    send(page, "compare us /slow 20 /long 40")
    for index in range(3):
        expect(column(page, index)).to_be_visible()
    # The two healthy targets stream at once: their first words show within 300 ms of each other.
    page.wait_for_function("() => 0 in window.__firstWords && 1 in window.__firstWords", timeout=20_000)
    first = page.evaluate("() => window.__firstWords")
    assert abs(first["0"] - first["1"]) < 300, first
    # The failing target's error shows in its own column; the others finish normally.
    expect(column(page, 2).locator('[data-testid="stAlertContentError"]')).to_contain_text("500", timeout=30_000)
    for index in (0, 1):
        expect(column(page, index)).to_contain_text(re.compile(r"finish: stop"), timeout=30_000)
    assert "2" not in page.evaluate("() => window.__firstWords")
    # Streamed, not drawn at the end: each showed words well before the other finished (2 s at 20 words/s).
    finished = page.evaluate("() => window.__finished")
    assert first["0"] < finished["1"] - 1000 and first["1"] < finished["0"] - 1000, (first, finished)
    expect_no_exception(page)
    expect(page.locator(".js-plotly-plot")).to_be_visible()
    cid = conversation_id(page)
    # Nothing picked yet: a reload shows the three columns again, from storage.
    page.reload()
    for index in range(3):
        expect(column(page, index).get_by_role("button", name="Continue with this")).to_be_visible()
    expect(column(page, 2).locator('[data-testid="stAlertContentError"]')).to_contain_text("500")

    second_text = column(page, 1).locator('[data-testid="stChatMessage"] [data-testid="stMarkdownContainer"]').first.inner_text()
    column(page, 1).get_by_role("button", name="Continue with this").click()
    expect(column(page, 0)).to_have_count(0)
    reply = assistant_messages(page).last
    expect(reply).to_contain_text(second_text[:60])
    expect(reply.locator(".portal-branch")).to_have_text("2 / 3")

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(cid)))
    expect(page.locator(CHAT_INPUT)).to_be_visible()
    wait_until_idle(page)
    reply = assistant_messages(page).last
    expect(reply).to_contain_text(second_text[:60])
    expect(reply.locator(".portal-branch")).to_have_text("2 / 3")
    expect(column(page, 0)).to_have_count(0)
    # The siblings are there: the previous reply is the first target's.
    reply.get_by_role("button", name="Previous reply").click()
    expect(assistant_messages(page).last.locator(".portal-branch")).to_have_text("1 / 3")
    expect_no_exception(page)


def test_one_columns_stop_leaves_the_other_streaming(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    set_up_targets(page, 2, {})
    send(page, "stop only the first /slow 20 /long 200")
    expect(column(page, 0)).to_contain_text("You said", timeout=20_000)
    column(page, 0).get_by_role("button", name="Stop").click()
    expect(column(page, 0)).to_contain_text("Stopped by you", timeout=20_000)
    # The second target is still streaming after the first stopped, and then finishes.
    expect(column(page, 1)).not_to_contain_text("finish:")
    expect(column(page, 1)).to_contain_text(re.compile(r"finish: stop"), timeout=30_000)
    expect(column(page, 0)).to_contain_text("Stopped by you")
    expect_no_exception(page)


def test_the_chat_inputs_stop_stops_every_column(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    set_up_targets(page, 2, {})
    wait_until_idle(page)  # the set-up's last run has ended: a message sent during it gets no Stop button
    send(page, "stop us both /slow 20 /long 400")
    for index in (0, 1):
        expect(column(page, index)).to_contain_text("You said", timeout=20_000)
    page.locator(STOP_BUTTON).click()
    for index in (0, 1):
        expect(column(page, index)).to_contain_text("Stopped by you", timeout=20_000)
        expect(column(page, index).get_by_role("button", name="Continue with this")).to_be_visible()
    expect(page.locator(CHAT_INPUT)).to_be_editable()
    expect_no_exception(page)


def test_closing_the_tab_ends_the_workers_as_interrupted(app: StreamlitApp, new_context) -> None:
    page = new_context().new_page()
    open_app(page, app.url)
    set_up_targets(page, 2, {})
    send(page, "close on us /slow 20 /long 400")
    for index in (0, 1):
        expect(column(page, index)).to_contain_text("You said", timeout=20_000)
    cid = conversation_id(page)
    page.close()

    def statuses() -> list[str]:
        with closing(sqlite3.connect(f"file:{app.data_dir / 'portal.db'}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT status FROM messages WHERE conversation_id = ? AND role = 'assistant'", (cid,)).fetchall()
        return sorted(status for (status,) in rows)

    # Both replies end as interrupted, with what arrived, long before their 20 s of streaming would end.
    deadline = time.monotonic() + 10
    while statuses() != ["interrupted", "interrupted"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert statuses() == ["interrupted", "interrupted"]
