"""Pages other than the chat in the real browser: direct links, model info, switching connections."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from localserver import ServerConfig, start
from tests.browser.chat_ui import (
    CHAT_INPUT,
    NAV_LINKS,
    expect_no_exception,
    open_app,
    send,
    wait_for_finished_reply,
    wait_until_idle,
)
from tests.browser.conftest import app_environment
from tests.streamlit_process import StreamlitApp


def test_a_direct_link_to_a_page_opens_it_under_the_router(page):
    # The first request of a fresh app process goes straight to /model_info (a bookmarked link). With
    # a `pages/` folder beside streamlit_app.py Streamlit would run the page file alone (its v1
    # multipage mode): no banner, and the entry script listed as a page "streamlit app".
    with StreamlitApp(app_environment()) as fresh:
        page.goto(fresh.url + "/model_info")
        expect(page.get_by_role("heading", name="Model info")).to_be_visible()
        expect(page.get_by_text("offline", exact=False).first).to_be_visible()
        expect(page.locator(NAV_LINKS)).to_have_count(3)
        expect(page.locator(NAV_LINKS).filter(has_text="streamlit app")).to_have_count(0)
        expect_no_exception(page)


def test_model_info_on_the_offline_default_shows_local_chat(app, page):
    page.goto(app.url + "/model_info")
    metric = page.locator('[data-testid="stMetricValue"]').first
    expect(metric).to_have_text("local-chat")
    expect_no_exception(page)


@pytest.fixture(scope="module")
def two_connection_app(tmp_path_factory):
    server = start(config=ServerConfig(words_per_second=0))
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(
        f"""
[connections."Serverless local-chat"]
endpoint = "{server.endpoint('serverless', 'local-chat')}"
auth = "none"

[connections."Foundry style"]
endpoint = "{server.endpoint('models')}"
auth = "none"
chat_model = "local-chat"
embeddings_model = "local-embed"
"""
    )
    portal = StreamlitApp(app_environment(STREAMLIT_SECRETS_FILES=str(secrets)))
    portal.start()
    try:
        yield portal, server
    finally:
        portal.cleanup()
        server.stop()


def _pick_connection(page, name: str) -> None:
    picker = page.get_by_label("Connection")
    picker.click()
    page.get_by_role("option", name=name).click()
    expect(page.get_by_text(f"Connection {name}", exact=False).first).to_be_visible()
    wait_until_idle(page)


def test_switching_connection_changes_what_the_chat_uses(two_connection_app, page):
    portal, server = two_connection_app
    open_app(page, portal.url)
    _pick_connection(page, "Foundry style")
    send(page, "hello through foundry")
    wait_for_finished_reply(page, count=1)
    chats = [r for r in server.state.requests if r.operation == "chat"]
    assert chats[-1].style == "foundry" and chats[-1].status == 200

    page.locator(NAV_LINKS).filter(has_text="Model info").click()
    expect(page.get_by_text("Azure AI Foundry", exact=False).first).to_be_visible()
    page.locator(NAV_LINKS).filter(has_text="Chat").click()
    expect(page.locator(CHAT_INPUT)).to_be_visible()
    _pick_connection(page, "Serverless local-chat")
    # Coming back to the chat page reopens the conversation this session had open.
    expect(page.get_by_text("hello through foundry").first).to_be_visible()
    send(page, "hello through serverless")
    wait_for_finished_reply(page, count=2)
    chats = [r for r in server.state.requests if r.operation == "chat"]
    assert chats[-1].style == "serverless"
