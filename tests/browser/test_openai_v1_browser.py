"""A Foundry v1 connection in Chromium: the app started as a new user would, with nothing but
`AZURE_INFERENCE_ENDPOINT=<server>/openai/v1`, a key and a model, talking to the local server's OpenAI
v1 API through the openai package.

A reply streams; a reasoning model's thinking sits in a collapsed Thinking block above its answer;
stop keeps the partial text; tools run; a reload shows all of it; the embeddings page draws its map
with a model the endpoint listed (none was configured).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from localserver import RunningServer, ServerConfig, start
from tests.streamlit_process import StreamlitApp

from .chat_ui import (
    CAPTION,
    CHAT_INPUT,
    EXPANDER,
    STOP_BUTTON,
    assistant_messages,
    close_settings,
    conversation_id,
    expect_no_exception,
    open_app,
    open_settings,
    pick_option,
    send,
    switch_tool_on,
    tool_chip,
    wait_for_finished_reply,
    wait_until_idle,
)
from .conftest import FAST_WORDS_PER_SECOND
from .test_chat_browser import SAMPLE_GROWTH

pytestmark = pytest.mark.browser

V1_KEY = "v1-browser-test-key"


@pytest.fixture(scope="module")
def v1_server() -> Iterator[RunningServer]:
    server = start(config=ServerConfig(api_key=V1_KEY, words_per_second=float(FAST_WORDS_PER_SECOND)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(v1_server: RunningServer) -> Iterator[StreamlitApp]:
    settings = {
        "AZURE_INFERENCE_ENDPOINT": f"{v1_server.url}/openai/v1",
        "AZURE_INFERENCE_CREDENTIAL": V1_KEY,
        "AZURE_INFERENCE_MODEL": "local-chat",
    }
    portal = StreamlitApp(inference=settings)
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


def choose_model(page: Page, name: str) -> None:
    choose_setting(page, "Model / deployment", name)


def choose_setting(page: Page, label: str, name: str) -> None:
    """Pick `name` in the settings panel's selectbox `label` (options may carry a " · ..." mark)."""
    settings = open_settings(page, "Model and prompt")
    picker = settings.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box = picker.get_by_role("combobox")
    pick_option(page, box, page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}( ·.*)?$")))
    expect(box).to_have_value(re.compile(rf"^{re.escape(name)}"))
    wait_until_idle(page)
    close_settings(page)


def thinking_block(message: Locator) -> Locator:
    return message.locator(EXPANDER).filter(has_text="Thinking")


def test_a_reply_streams_over_the_v1_api(app: StreamlitApp, page: Page, v1_server: RunningServer) -> None:
    open_app(page, app.url)
    expect(page.get_by_text("offline", exact=False)).to_have_count(0)
    expect(page.get_by_text("foundry_v1", exact=False).first).to_be_visible()  # the connection caption
    page.evaluate(SAMPLE_GROWTH)
    before = v1_server.state.count("chat")
    send(page, "hello over v1 /long 60 /slow 20")
    last = wait_for_finished_reply(page, count=1)
    expect(last).to_contain_text('You said: "hello over v1".')
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 3, f"the reply did not grow over several renders: {lengths}"
    assert v1_server.state.count("chat") == before + 1
    assert v1_server.state.requests[-1].path == "/openai/v1/chat/completions"
    expect_no_exception(page)


def test_reasoning_stop_tools_and_reload(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    choose_model(page, "local-reasoner")
    send(page, "What is 6*7?")
    reasoned = wait_for_finished_reply(page, count=1)
    block = thinking_block(reasoned)
    expect(block).to_have_count(1)
    expect(block.locator("details")).not_to_have_attribute("open", "")  # collapsed once the answer is there
    expect(block.get_by_text("Working it out")).to_be_hidden()
    expect(reasoned.locator(CAPTION).filter(has_text=re.compile(r"\(40 reasoning\)"))).to_be_visible()
    expect(reasoned).to_contain_text('You said: "What is 6*7?"')
    block.locator("summary").click()
    expect(block.get_by_text("Working it out")).to_be_visible()
    expect(block).to_contain_text("Working it out, 6*7 gives 42.")  # the arithmetic as typed, not italics

    choose_model(page, "local-chat")
    wait_until_idle(page)  # the model pick's run has ended: a message sent during it gets no Stop button
    send(page, "stop me /long 3000 /slow 40")
    page.wait_for_function(
        """() => {
          const all = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
            .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
          return all.length === 2 && all[1].innerText.trim().split(/\\s+/).length >= 60;
        }""",
        timeout=20_000,
    )
    page.locator(STOP_BUTTON).click()
    expect(page.locator(STOP_BUTTON)).to_have_count(0)
    expect(page.locator(CHAT_INPUT)).to_be_editable()

    switch_tool_on(page, "calculator")
    send(page, "what is 12*7?")
    answered = wait_for_finished_reply(page)
    expect(answered).to_contain_text("calculator returned 84")
    cid = conversation_id(page)

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(cid)))
    replies = assistant_messages(page)
    expect(thinking_block(replies.first)).to_have_count(1)
    expect(replies.nth(1)).to_contain_text("Stopped")
    expect(replies.nth(1)).to_contain_text('You said: "stop me".')
    expect(tool_chip(page, "calculator")).to_have_count(1)
    expect(replies.last).to_contain_text("calculator returned 84")
    expect_no_exception(page)


def test_the_embeddings_map_uses_a_listed_model(app: StreamlitApp, page: Page, v1_server: RunningServer) -> None:
    page.goto(f"{app.url}/embeddings")
    page.get_by_role("button", name="Embed", exact=True).click()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=30_000)
    embedded = [r for r in v1_server.state.requests if r.operation == "embeddings" and r.status == 200]
    assert embedded and embedded[-1].path == "/openai/v1/embeddings" and embedded[-1].model == "local-embed"
    expect_no_exception(page)
