"""Folders in Chromium: create one, file a conversation in it, give it a default system prompt, start
a chat there (it begins with that prompt and is stored in the folder), delete the folder (its
conversations stay). The app is a real `streamlit run` on the offline local server."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.streamlit_process import StreamlitApp

from .chat_ui import (
    EXPANDER,
    SIDEBAR,
    expect_no_exception,
    open_app,
    open_settings,
    send,
    wait_for_finished_reply,
    wait_until_idle,
)
from .conftest import app_environment

FOLDER_NAME = "Recipes *baked*"  # Markdown that must show as typed
PROMPT = "You are a pastry chef. Answer in metric units."


def assert_accessible(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    wait_until_idle(page)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(
        [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in serious], indent=1
    )


def folder_entry(page: Page):
    return page.locator(SIDEBAR).locator(EXPANDER).filter(has_text=FOLDER_NAME)


def test_a_folder_holds_conversations_gives_a_new_chat_its_prompt_and_deleting_it_keeps_them(page: Page) -> None:
    with StreamlitApp(app_environment()) as app:
        open_app(page, app.url)
        send(page, "apple pie recipe")
        wait_for_finished_reply(page, 1)
        sidebar = page.locator(SIDEBAR)

        # A new folder; its name is shown as typed, not in italics.
        sidebar.get_by_role("button", name="New folder").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Folder name").fill(FOLDER_NAME)
        dialog.get_by_role("button", name="Create").click()
        expect(folder_entry(page)).to_be_visible()
        expect(folder_entry(page).locator("summary em")).to_have_count(0)

        # File the conversation in it from the row's menu.
        wait_until_idle(page)
        apple = sidebar.locator('[class*="st-key-conv_row_"]').filter(has_text="apple pie recipe")
        apple.get_by_role("button", name="Conversation actions").click()
        page.get_by_role("menuitem", name="Move to folder").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("apple pie recipe")
        dialog.locator('[data-testid="stSelectbox"]').click()
        page.get_by_role("option", name=FOLDER_NAME).click()
        dialog.get_by_role("button", name="Move").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(folder_entry(page).locator('[class*="st-key-conv_row_"]')).to_contain_text("apple pie recipe")
        expect(sidebar.get_by_text("Today")).to_have_count(0)  # nothing is left outside the folder
        assert_accessible(page)  # with an open folder, its bar and its rows in the sidebar

        # Its default system prompt.
        wait_until_idle(page)
        folder_entry(page).get_by_role("button", name="Folder actions").click()
        page.get_by_role("menuitem", name="Default prompt and model").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Default system prompt").fill(PROMPT)
        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_role("dialog")).to_have_count(0)

        # New chat here: the settings panel holds the folder's prompt, and the chat is stored in the folder.
        # (from a plain new chat, whose settings panel is already drawn with the usual prompt)
        wait_until_idle(page)
        page.locator(".st-key-new_chat_top button:visible").click()
        wait_until_idle(page)
        folder_entry(page).get_by_role("button", name="New chat here").click()
        expect(page.get_by_text("A new chat in the folder")).to_be_visible()
        panel = open_settings(page, "Model and prompt")
        expect(panel.get_by_label("System prompt", exact=True)).to_have_value(PROMPT)
        page.keyboard.press("Escape")
        wait_until_idle(page)
        send(page, "lemon tart")
        wait_for_finished_reply(page, 1)
        expect(folder_entry(page).locator('[class*="st-key-conv_row_"]')).to_have_count(2)
        expect(folder_entry(page)).to_contain_text("lemon tart")

        # Delete the folder: the confirmation says the conversations are kept, and they are.
        wait_until_idle(page)
        folder_entry(page).get_by_role("button", name="Folder actions").click()
        page.get_by_role("menuitem", name="Delete").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("kept")
        dialog.get_by_role("button", name="Delete folder").click()
        expect(folder_entry(page)).to_have_count(0)
        expect(sidebar.locator('[class*="st-key-conv_title_"]')).to_have_count(2)
        expect(sidebar.get_by_text("Today")).to_be_visible()
        expect_no_exception(page)
