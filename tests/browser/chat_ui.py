"""Small page helpers for the chat UI: the selectors live here, in one place."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Locator, Page, expect

MESSAGES = '[data-testid="stChatMessage"]'
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
SUBMIT_BUTTON = '[data-testid="stChatInputSubmitButton"]'
# While a script runs, submit_mode="stop" swaps the submit button for this one (Streamlit 1.67).
STOP_BUTTON = '[data-testid="stChatInputStopButton"]'
NAV_LINKS = '[data-testid="stSidebarNav"] a'
EXCEPTION = '[data-testid="stException"]'
APP_ROOT = '[data-testid="stApp"]'
ASSISTANT_AVATAR = '[data-testid="stChatMessageAvatarAssistant"]'
USER_AVATAR = '[data-testid="stChatMessageAvatarUser"]'
CAPTION = '[data-testid="stCaptionContainer"]'
FINISHED = re.compile(r"tokens.*finish: stop", re.S)
CONVERSATION_URL = re.compile(r"[?&]c=[^&]+")


def messages(page: Page) -> Locator:
    return page.locator(MESSAGES)


def assistant_messages(page: Page) -> Locator:
    return messages(page).filter(has=page.locator(ASSISTANT_AVATAR))


def user_messages(page: Page) -> Locator:
    return messages(page).filter(has=page.locator(USER_AVATAR))


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(CHAT_INPUT)).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.locator(CHAT_INPUT)
    expect(box).to_be_editable()
    box.fill(text)
    box.press("Enter")


def wait_for_finished_reply(page: Page, count: int | None = None, timeout: float = 30_000) -> Locator:
    """The last assistant message, once its metrics caption says it finished normally."""
    if count is not None:
        expect(assistant_messages(page)).to_have_count(count, timeout=timeout)
    last = assistant_messages(page).last
    expect(last.locator(CAPTION).filter(has_text=FINISHED)).to_be_visible(timeout=timeout)
    return last


def conversation_id(page: Page) -> str:
    expect(page).to_have_url(CONVERSATION_URL)
    return parse_qs(urlparse(page.url).query)["c"][0]


def wait_until_idle(page: Page) -> None:
    """The script run has ended (Streamlit marks the app root with its script state)."""
    expect(page.locator(APP_ROOT)).to_have_attribute("data-test-script-state", "notRunning")


def expect_no_exception(page: Page) -> None:
    wait_until_idle(page)
    expect(page.locator(EXCEPTION)).to_have_count(0)
