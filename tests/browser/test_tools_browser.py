"""Tools and attachments in Chromium: the portal as a real `streamlit run` process on the offline backend.

The calculator is switched on in the settings panel, its call is shown as a chip (name and time) that
opens to the arguments and result, inside the one message of its turn, and the answer uses it; an image attached in the chat input's file picker is sent with the
message, shown in the history and still there after a reload; a file that is not what it claims is
refused with a message that outlives the rerun after the reply.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.streamlit_process import StreamlitApp
from tests.tools.support import image_bytes

from .chat_ui import (
    assistant_messages,
    conversation_id,
    expect_no_exception,
    open_app,
    open_chip,
    send,
    switch_tool_on,
    tool_chip,
    user_messages,
    wait_for_finished_reply,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

CODE = '[data-testid="stCode"]'
CHAT_FILE_INPUT = '[data-testid="stChatInput"] input[type="file"]'
IMAGE = '[data-testid="stImage"] img, [data-testid="stImageContainer"] img'
TOAST = '[data-testid="stToast"]'


def attach(page: Page, *files: dict) -> None:
    """Pick files in the chat input and wait until they are uploaded (Enter does not send before that)."""
    page.locator(CHAT_FILE_INPUT).set_input_files(list(files))
    chat_input = page.locator('[data-testid="stChatInput"]')
    for file in files:
        expect(chat_input.get_by_role("button", name=f"Remove {file['name']}", exact=True)).to_be_visible()
    expect(chat_input.locator('[data-testid="stFileChipIconSpinner"]')).to_have_count(0)


def test_calculator_switched_on_in_the_settings_is_called_and_shown(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    switch_tool_on(page, "calculator")
    send(page, "what is 12*7?")

    answer = wait_for_finished_reply(page, count=1)  # one tool turn is one message
    expect(answer).to_contain_text("Based on the tool results: calculator returned 84.")
    chip = tool_chip(page, "calculator")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text(re.compile(r"calculator · [\d,]+ ms"))
    codes = open_chip(page, chip).locator(CODE)
    expect(codes).to_have_count(2)
    expect(codes.nth(0)).to_contain_text('"expression": "12*7"')
    expect(codes.nth(1)).to_contain_text('"result": 84')
    page.keyboard.press("Escape")
    expect_no_exception(page)

    conversation_id(page)
    page.reload()
    expect(tool_chip(page, "calculator")).to_have_count(1)
    expect(assistant_messages(page).last).to_contain_text("calculator returned 84")
    expect_no_exception(page)


def test_an_attached_image_is_sent_shown_and_kept_after_a_reload(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    picture = {"name": "red.png", "mimeType": "image/png", "buffer": image_bytes((60, 40))}
    attach(page, picture)
    send(page, "what is in this picture?")

    reply = wait_for_finished_reply(page, count=1)
    expect(reply).to_contain_text("You attached a 60x40 PNG image, mostly red, detail auto.")
    user = user_messages(page).first
    expect(user).to_contain_text("what is in this picture?")
    expect(user.locator(IMAGE)).to_have_count(1)
    expect(user).to_contain_text("red.png")  # the caption

    conversation_id(page)
    page.reload()
    user = user_messages(page).first
    expect(user.locator(IMAGE)).to_have_count(1)
    expect(user.locator(IMAGE)).to_have_attribute("src", re.compile(r".+"))
    expect(user).to_contain_text("red.png")
    expect(assistant_messages(page).first).to_contain_text("You attached a 60x40 PNG image, mostly red")
    expect_no_exception(page)


def test_a_file_that_is_not_an_image_is_refused_and_the_text_still_goes(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    attach(page, {"name": "notes.png", "mimeType": "image/png", "buffer": b"my notes, not a picture"})
    send(page, "here are my notes")

    reply = wait_for_finished_reply(page, count=1)
    expect(reply).to_contain_text('You said: "here are my notes".')
    expect(reply).not_to_contain_text("You attached")
    wait_until_idle(page)  # the page has rerun after the reply: the refusal is still on screen
    refusal = page.locator('[data-testid="stAlertContentError"]').filter(has_text="Not attached: notes.png is not a readable image")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Your text was sent without it.")
    expect(user_messages(page).first.locator(IMAGE)).to_have_count(0)
    expect_no_exception(page)
