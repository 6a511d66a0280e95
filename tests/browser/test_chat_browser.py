"""End to end in Chromium: the portal as a real `streamlit run` process on the offline backend.

What a person sees is what is asserted: pages, streaming text, stop, errors, persistence across
reloads, new browser contexts and app restarts, links to a conversation, and that model output is
never rendered as HTML.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.streamlit_process import StreamlitApp

from .chat_ui import (
    CAPTION,
    CHAT_INPUT,
    NAV_LINKS,
    STOP_BUTTON,
    SUBMIT_BUTTON,
    assistant_messages,
    conversation_id,
    expect_no_exception,
    messages,
    open_app,
    seed_conversation,
    send,
    streamed_words,
    user_messages,
    wait_for_finished_reply,
    wait_until_idle,
)
from .conftest import app_environment

pytestmark = pytest.mark.browser

PAGES = ("Chat", "Embeddings", "Model info")


def title(page: Page, text: str):
    return page.get_by_role("heading", level=1, name=text, exact=True)


def test_smoke_app_opens_offline_with_three_pages(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    expect(page.get_by_text("offline", exact=False).first).to_be_visible()
    links = page.locator(NAV_LINKS)
    expect(links).to_have_count(3)
    expect(links).to_have_text([re.compile(rf"{re.escape(name)}\s*$") for name in PAGES])  # after the icon's ligature text
    for name in (*PAGES[1:], PAGES[0]):
        page.locator(NAV_LINKS).filter(has_text=re.compile(rf"{re.escape(name)}\s*$")).click()
        expect(title(page, "New chat" if name == "Chat" else name)).to_be_visible()
        expect_no_exception(page)
    expect(page.get_by_text("offline", exact=False).first).to_be_visible()


# JavaScript sampler: records every distinct text length of the last assistant message until its
# metrics caption appears, so that growth is observed by the browser itself rather than by sleeps.
SAMPLE_GROWTH = """() => {
  window.__lengths = [];
  window.__finishedAt = null;
  const tick = () => {
    const all = document.querySelectorAll('[data-testid="stChatMessage"]');
    const assistants = [...all].filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
    const last = assistants[assistants.length - 1];
    if (last) {
      const caption = last.querySelector('[data-testid="stCaptionContainer"]');
      if (caption && /finish:/.test(caption.innerText)) { window.__finishedAt = window.__lengths.length; return; }
      const body = last.querySelector('[data-testid="stChatMessageContent"]');
      const length = (body ? body.innerText : '').trim().length;
      const lengths = window.__lengths;
      if (length > 0 && lengths[lengths.length - 1] !== length) lengths.push(length);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def test_reply_streams_word_by_word(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    page.evaluate(SAMPLE_GROWTH)
    send(page, "hello /long 60 /slow 20")
    last = wait_for_finished_reply(page, count=1)
    expect(last.locator(CAPTION).filter(has_text="tokens")).to_be_visible()
    expect(last.locator(CAPTION).filter(has_text="finish: stop")).to_be_visible()
    expect(last).to_contain_text('You said: "hello".')
    lengths = page.evaluate("window.__lengths")
    increasing = [b for a, b in zip(lengths, lengths[1:], strict=False) if b > a]
    assert len(increasing) + 1 >= 3, f"the reply did not grow over several renders before finishing: {lengths}"
    assert len(set(lengths)) >= 3, lengths
    expect_no_exception(page)


def test_reply_survives_reload(app: StreamlitApp, page: Page, new_context) -> None:
    open_app(page, app.url)
    send(page, "remember the reload")
    wait_for_finished_reply(page, count=1)
    cid = conversation_id(page)
    url = page.url

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(cid)))
    expect(user_messages(page)).to_have_count(1)
    expect(user_messages(page).first).to_contain_text("remember the reload")
    expect(assistant_messages(page).first).to_contain_text('You said: "remember the reload".')
    expect_no_exception(page)

    other = new_context().new_page()
    open_app(other, url)
    expect(user_messages(other).first).to_contain_text("remember the reload")
    expect(assistant_messages(other).first).to_contain_text('You said: "remember the reload".')
    expect(assistant_messages(other).first.locator(CAPTION)).to_contain_text("finish: stop")
    expect_no_exception(other)


def test_conversation_survives_app_restart(page: Page, new_context) -> None:
    with StreamlitApp(app_environment()) as own_app:  # its own process: restarting it does not disturb the others
        open_app(page, own_app.url)
        send(page, "survive the restart")
        wait_for_finished_reply(page, count=1)
        cid = conversation_id(page)
        url = page.url

        own_app.restart()
        assert own_app.starts == 2 and own_app.running

        # The same URL in the same tab (a reload after the restart) ...
        page.goto(url)
        expect(title(page, "survive the restart")).to_be_visible()
        expect(user_messages(page)).to_have_count(1)
        expect(assistant_messages(page).first).to_contain_text('You said: "survive the restart".')
        expect_no_exception(page)

        # ... and in a fresh browser context.
        after = new_context().new_page()
        open_app(after, f"{own_app.url}/?c={cid}")
        expect(title(after, "survive the restart")).to_be_visible()
        expect(user_messages(after).first).to_contain_text("survive the restart")
        expect(assistant_messages(after).first).to_contain_text('You said: "survive the restart".')
        expect(assistant_messages(after).first.locator(CAPTION)).to_contain_text("finish: stop")
        expect_no_exception(after)


def word_count(text: str) -> int:
    return len(text.split())


def test_stopped_reply_keeps_partial_text_after_reload(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    send(page, "stop me /long 3000 /slow 40")
    streaming = assistant_messages(page).last
    # About 3 s of visible streaming at 40 words per second.
    page.wait_for_function(
        """() => {
          const all = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
            .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
          const last = all[all.length - 1];
          return last && last.innerText.trim().split(/\\s+/).length >= 120;
        }""",
        timeout=20_000,
    )
    expect(streaming.locator(CAPTION).filter(has_text="finish:")).to_have_count(0)
    expect(page.locator(SUBMIT_BUTTON)).to_have_count(0)
    page.locator(STOP_BUTTON).click()
    # The script run ends: the stop button turns back into the submit button and the input is usable.
    expect(page.locator(STOP_BUTTON)).to_have_count(0)
    expect(page.locator(CHAT_INPUT)).to_be_editable()
    cid = conversation_id(page)

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(cid)))
    reply = assistant_messages(page).last
    expect(reply).to_contain_text("Stopped")
    expect(reply).to_contain_text('You said: "stop me".')
    words = word_count(reply.locator('[data-testid="stMarkdownContainer"]').first.inner_text())
    assert 50 < words < 1500, f"expected a partial reply (more than a few words, far fewer than 3000), got {words} words"
    expect_no_exception(page)


def test_fault_500_shows_error_and_next_message_works(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    send(page, "boom /fault 500")
    failed = assistant_messages(page).last
    # Transient 5xx are retried a few times (an info notice) before the error is final (an error alert).
    error = failed.locator('[data-testid="stAlertContentError"]')
    expect(error).to_be_visible(timeout=30_000)
    expect(error).to_contain_text(re.compile(r"500|failed"))

    send(page, "hello again")
    reply = wait_for_finished_reply(page, count=2)
    expect(reply).to_contain_text('You said: "hello again".')
    expect(user_messages(page)).to_have_count(2)
    expect_no_exception(page)


def test_conversation_opens_from_url(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    send(page, "first conversation alpha")
    wait_for_finished_reply(page, count=1)
    first_id = conversation_id(page)

    page.get_by_role("button", name="New chat").first.click()
    expect(page).not_to_have_url(re.compile(re.escape(first_id)))
    expect(messages(page)).to_have_count(0)
    send(page, "second conversation beta")
    wait_for_finished_reply(page, count=1)
    second_id = conversation_id(page)
    assert second_id != first_id

    open_app(page, f"{app.url}/?c={first_id}")
    expect(title(page, "first conversation alpha")).to_be_visible()
    expect(user_messages(page)).to_have_count(1)
    expect(user_messages(page).first).to_contain_text("first conversation alpha")
    expect(assistant_messages(page).first).to_contain_text('You said: "first conversation alpha".')
    expect(page.locator('[data-testid="stMainBlockContainer"]')).not_to_contain_text("second conversation beta")
    expect_no_exception(page)

    open_app(page, f"{app.url}/?c=does-not-exist")
    expect(page.get_by_text("That conversation does not exist")).to_be_visible()
    expect(messages(page)).to_have_count(0)
    expect(title(page, "New chat")).to_be_visible()
    expect_no_exception(page)


def test_a_long_conversation_opens_at_its_end(app: StreamlitApp, page: Page) -> None:
    """As chats do: the latest message and the message box in view, the older ones above, in order."""
    open_app(page, app.url)  # the first run creates the database
    conversation = seed_conversation(app.data_dir, "A long one", [f"note {index:02d} about budgets and meetings" for index in range(60)])

    open_app(page, f"{app.url}/?c={conversation}")
    shown = messages(page)
    expect(shown).to_have_count(40)  # the latest 40 of 60
    expect(shown.first).to_contain_text("note 20 about budgets")
    expect(shown.last).to_contain_text("note 59 about budgets")
    expect(shown.last).to_be_in_viewport()
    expect(shown.first).not_to_be_in_viewport()
    expect(page.locator(CHAT_INPUT)).to_be_in_viewport()
    texts = [re.search(r"note (\d+)", text).group(1) for text in shown.all_inner_texts()]
    assert texts == [f"{index:02d}" for index in range(20, 60)]  # in order, though the newest were drawn first
    expect_no_exception(page)


XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> <b>bold</b>'


def test_model_output_is_not_rendered_as_html(app: StreamlitApp, page: Page) -> None:
    open_app(page, app.url)
    send(page, XSS)
    reply = wait_for_finished_reply(page, count=1)
    expect(reply).to_contain_text("You said:")
    chat = page.locator('[data-testid="stChatMessage"]')
    expect(chat.locator('img[src="x"]')).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    expect(chat.locator("script")).to_have_count(0)
    expect(chat.locator("b")).to_have_count(0)
    # The markup is shown as text (escaped), in both the user's message and the model's restatement.
    expect(reply).to_contain_text("<b>bold</b>")
    expect(reply).to_contain_text("<img src=x")
    expect(user_messages(page).first).to_contain_text("<b>bold</b>")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator(CHAT_INPUT)).to_be_visible()
    expect_no_exception(page)


# Installed before a send: notes any element of the conversation already on the page that goes stale
# (Streamlit fades what a run has not redrawn yet) or leaves the page, until the reply is done.
WATCH_HISTORY = """() => {
  window.__history = [...document.querySelectorAll('[data-testid="stChatMessage"]')];
  window.__staled = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const el = record.target;
      if (el.getAttribute('data-stale') === 'true' && window.__history.some(m => m.contains(el) || el.contains(m)))
        window.__staled.push(el.innerText.slice(0, 40));
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-stale']});
}"""


def test_sending_leaves_the_conversation_above_as_it_is(app: StreamlitApp, page: Page) -> None:
    """A message sent in an open conversation is answered without redrawing the messages above it: they
    neither fade nor leave the page while the reply streams (the send is a fragment run), and their
    actions stay usable."""
    open_app(page, app.url)
    for number in (1, 2):
        send(page, f"earlier message {number}")
        wait_for_finished_reply(page, count=number)
    wait_until_idle(page)
    page.evaluate(WATCH_HISTORY)

    send(page, "the new one /long 400 /slow 40")
    streamed_words(page, 60)  # well into the reply
    assert page.evaluate("window.__history.every((m) => m.isConnected)"), "the earlier messages were redrawn"
    assert page.evaluate("window.__staled") == [], "the earlier messages faded while the reply streamed"
    expect(user_messages(page)).to_have_count(3)
    expect(user_messages(page).last).to_contain_text("the new one")

    # An action above is usable meanwhile: Edit stops the reply (what arrived is kept) and opens the editor.
    user_messages(page).filter(has_text="earlier message 2").get_by_role("button", name="Edit").click()
    expect(page.locator('[class*="st-key-edit_text_"] textarea')).to_have_value("earlier message 2")
    reply = assistant_messages(page).filter(has_text='You said: "the new one".')
    expect(reply).to_contain_text("Stopped")
    expect_no_exception(page)
