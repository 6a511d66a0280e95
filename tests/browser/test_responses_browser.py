"""A Responses API connection in Chromium: `wire = "responses"` and `store = true` on Foundry v1 (the
local server's `/openai/v1/responses`), configured through the environment only.

A reply streams; a reasoning model's summary fills the Thinking block; a tool round trip sends the
tool output as a `function_call_output` continuing the stored response (`previous_response_id`);
stop keeps the partial text; a reload shows all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from localserver import RunningServer, ServerConfig, start
from tests.streamlit_process import StreamlitApp

from .chat_ui import (
    CAPTION,
    CHAT_INPUT,
    STOP_BUTTON,
    assistant_messages,
    conversation_id,
    expect_no_exception,
    open_app,
    send,
    switch_tool_on,
    tool_chip,
    wait_for_finished_reply,
    wait_until_idle,
)
from .conftest import FAST_WORDS_PER_SECOND
from .test_chat_browser import SAMPLE_GROWTH
from .test_openai_v1_browser import choose_model, choose_setting, thinking_block

pytestmark = pytest.mark.browser

KEY = "responses-browser-test-key"


@pytest.fixture(scope="module")
def responses_server() -> Iterator[RunningServer]:
    server = start(config=ServerConfig(api_key=KEY, words_per_second=float(FAST_WORDS_PER_SECOND)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(responses_server: RunningServer) -> Iterator[StreamlitApp]:
    settings = {
        "AZURE_INFERENCE_ENDPOINT": f"{responses_server.url}/openai/v1",
        "AZURE_INFERENCE_CREDENTIAL": KEY,
        "AZURE_INFERENCE_MODEL": "local-chat",
        "AZURE_INFERENCE_WIRE": "responses",
        "AZURE_INFERENCE_STORE": "true",
    }
    portal = StreamlitApp(inference=settings)
    portal.start()
    try:
        yield portal
    finally:
        portal.cleanup()


def test_a_reply_streams_over_the_responses_api(app: StreamlitApp, page: Page, responses_server: RunningServer) -> None:
    open_app(page, app.url)
    page.evaluate(SAMPLE_GROWTH)
    send(page, "hello responses /long 60 /slow 20")
    last = wait_for_finished_reply(page, count=1)
    expect(last).to_contain_text('You said: "hello responses".')
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 3, f"the reply did not grow over several renders: {lengths}"
    assert responses_server.state.requests[-1].path == "/openai/v1/responses"
    assert responses_server.state.count("chat") == 0  # nothing went over chat completions
    expect_no_exception(page)


def test_summary_tools_stop_and_reload(app: StreamlitApp, page: Page, responses_server: RunningServer) -> None:
    open_app(page, app.url)
    choose_model(page, "local-reasoner")
    choose_setting(page, "Reasoning summary", "detailed")
    send(page, "What is 6*7?")
    reasoned = wait_for_finished_reply(page, count=1)
    block = thinking_block(reasoned)
    expect(block).to_have_count(1)
    block.locator("summary").click()
    expect(block.locator("strong").filter(has_text="Understanding the question")).to_be_visible()  # the summary's title, in bold
    expect(block).to_contain_text("Working it out, 6*7 gives 42.")
    expect(reasoned.locator(CAPTION).filter(has_text=re.compile(r"\(40 reasoning\)"))).to_be_visible()
    stored = [s for s in responses_server.state.responses.values() if s.response.get("model") == "local-reasoner"]
    assert stored, "store = true keeps the response on the service"

    choose_model(page, "local-chat")
    switch_tool_on(page, "calculator")
    send(page, "what is 12*7?")
    answered = wait_for_finished_reply(page)
    expect(answered).to_contain_text("calculator returned 84")
    continued = [s.response for s in responses_server.state.responses.values() if s.response.get("previous_response_id")]
    assert continued, "the tool output continued the stored response instead of resending the history"
    expect(tool_chip(page, "calculator")).to_have_count(1)

    wait_until_idle(page)  # the last reply's closing run has ended: a message sent during it gets no Stop button
    send(page, "stop me /long 3000 /slow 40")
    page.wait_for_function(
        """() => {
          const all = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
            .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
          const last = all[all.length - 1];
          return last && last.innerText.includes('stop me') && last.innerText.trim().split(/\\s+/).length >= 60;
        }""",
        timeout=20_000,
    )
    page.locator(STOP_BUTTON).click()
    expect(page.locator(STOP_BUTTON)).to_have_count(0)
    expect(page.locator(CHAT_INPUT)).to_be_editable()
    cid = conversation_id(page)

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(cid)))
    replies = assistant_messages(page)
    expect(thinking_block(replies.first)).to_have_count(1)
    expect(tool_chip(page, "calculator")).to_have_count(1)
    expect(replies.last).to_contain_text("Stopped")
    expect(replies.last).to_contain_text('You said: "stop me".')
    expect_no_exception(page)
