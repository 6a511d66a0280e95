"""Small page helpers for the chat UI: the selectors live here, in one place."""

from __future__ import annotations

import re
from pathlib import Path
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


def seed_conversation(data_dir: Path, title: str, contents: list[str]) -> str:
    """A conversation written straight into an app's database (its first run has created it): the
    contents alternate user and assistant, as a conversation does; returns its id."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from storage import repository

    engine = create_engine(f"sqlite:///{data_dir / 'portal.db'}")
    try:
        with sessionmaker(engine).begin() as session:
            conversation = repository.create_conversation(session, title=title)
            for index, content in enumerate(contents):
                repository.add_message(session, conversation.id, role="user" if index % 2 == 0 else "assistant", content=content)
        return conversation.id
    finally:
        engine.dispose()


def messages(page: Page) -> Locator:
    return page.locator(MESSAGES)


def assistant_messages(page: Page) -> Locator:
    return messages(page).filter(has=page.locator(ASSISTANT_AVATAR))


def user_messages(page: Page) -> Locator:
    return messages(page).filter(has=page.locator(USER_AVATAR))


def open_app(page: Page, url: str) -> None:
    """Open the app and wait until its first script run has ended. A message sent while that run is
    still drawing the page makes Streamlit rerun, and the chat input then shows no Stop button for
    the reply (its pending submission is cleared when the interrupted run ends)."""
    page.goto(url)
    expect(page.locator(CHAT_INPUT)).to_be_visible()
    wait_until_idle(page)


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

SIDEBAR = '[data-testid="stSidebar"]'
EXPANDER = '[data-testid="stExpander"]'
POPOVER = '[data-testid="stPopover"]'
POPOVER_BODY = '[data-testid="stPopoverBody"]'


def pick_option(page: Page, box: Locator, option: Locator, attempts: int = 3) -> None:
    """Open a selectbox's or multiselect's option list and click `option`. A click on a box that
    already has focus does not always open the list, and a rerun that lands while it opens closes
    it again; so the keyboard opens it then, and the list is opened again if it closed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    listbox = page.locator('[role="listbox"]')
    for _ in range(attempts):
        wait_until_idle(page)
        if not listbox.is_visible():
            box.click()
            try:
                listbox.wait_for(state="visible", timeout=2_000)
            except PlaywrightTimeoutError:
                box.press("ArrowDown")
        try:
            option.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeoutError:
            continue
        option.click()
        return
    option.click(timeout=1_000)  # fails with Playwright's own message about what it waited for


def open_settings(page: Page, tab: str) -> Locator:
    """The settings panel (the popover at the top of the chat), opened on `tab`."""
    body = page.locator(POPOVER_BODY).filter(has=page.locator(".st-key-settings_panel"))
    if not body.is_visible():
        page.locator(".st-key-settings_popover button:visible").click()  # Streamlit also draws a hidden copy
    expect(body).to_be_visible()
    body.get_by_role("tab", name=tab).click()
    return body


def close_settings(page: Page) -> None:
    """Escape closes the innermost thing first: with the focus still in a select box the box takes the
    first press (a full-suite run failed once that way), so it is pressed until the panel has closed."""
    panel = page.locator(POPOVER_BODY).filter(has=page.locator(".st-key-settings_panel"))
    for _ in range(3):
        page.keyboard.press("Escape")
        try:
            expect(panel).to_have_count(0, timeout=5_000)
            break
        except AssertionError:
            continue
    expect(panel).to_have_count(0)
    wait_until_idle(page)


def switch_tool_on(page: Page, name: str) -> None:
    panel = open_settings(page, "Tools and output")
    picker = panel.locator('[data-testid="stMultiSelect"]').filter(has_text="Tools the model may call")
    pick_option(page, picker.locator("input"), page.get_by_role("option", name=name, exact=True))
    page.keyboard.press("Escape")
    expect(picker).to_contain_text(name)
    wait_until_idle(page)
    close_settings(page)


def open_export(page: Page) -> Locator:
    """The open conversation's export dialog (from its menu at the top of the chat)."""
    dialog = page.get_by_role("dialog")
    if dialog.count() == 0:
        page.locator(".st-key-chat_menu button:visible").click()
        page.get_by_role("menuitem", name="Export").click()
    expect(dialog).to_contain_text("Export this conversation")
    return dialog


def close_export(page: Page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_until_idle(page)


def tool_chip(page: Page, name: str) -> Locator:
    """The chips of tool `name` in the chat (each opens to its arguments, result and time)."""
    return messages(page).locator(POPOVER).filter(has_text=name)


def open_chip(page: Page, chip: Locator) -> Locator:
    chip.locator("button:visible").click()
    body = page.locator(POPOVER_BODY).last
    expect(body).to_be_visible()
    return body


def streamed_words(page: Page, at_least: int, timeout: float = 20_000) -> None:
    """Wait until the last assistant message shows at least `at_least` words (it is streaming)."""
    page.wait_for_function(
        """(n) => {
          const all = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
            .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
          const last = all[all.length - 1];
          return last && last.innerText.trim().split(/\\s+/).length >= n;
        }""",
        arg=at_least,
        timeout=timeout,
    )
