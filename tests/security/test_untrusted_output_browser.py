"""Untrusted model output in the real browser: markup the model sends back never runs.

The offline model restates the user's text ("You said: ..."), so every payload typed here comes back
as model output and is rendered twice: as the user's message and inside the assistant's reply. The
first payload also becomes the conversation's title (the page heading and the sidebar button).
Nothing may execute (`window.__pwned` stays undefined in every frame and popup, even after clicking
every link the chat rendered, and no dialog opens), no active element (script, iframe, object,
embed, an `img` pointing at `x`, an inline event handler) appears inside the chat, and no `href` or
`src` anywhere on the page starts with `javascript:` or `vbscript:`. (A `data:text/html` link does
render as a link; clicking it must still run nothing.)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_ui import (
    CHAT_INPUT,
    MESSAGES,
    assistant_messages,
    expect_no_exception,
    open_app,
    send,
    user_messages,
    wait_for_finished_reply,
    wait_until_idle,
)
from tests.streamlit_process import StreamlitApp

pytestmark = pytest.mark.browser

# (payload, text that must be visible in the reply: proof the payload came back and was shown as text)
PAYLOADS = [
    ('<img src=x onerror="window.__pwned=2"> p01', "<img src=x"),
    ("<script>window.__pwned=1</script> p02", "<script>"),
    ("p03 [click3](javascript:window.__pwned=3)", "click3"),
    ('p04 <a href="javascript:window.__pwned=4">link4</a>', "link4"),
    ("p05 ![x5](javascript:window.__pwned=5)", "p05"),
    (
        'p06 <iframe src="javascript:window.__pwned=6"></iframe> <iframe srcdoc="<script>parent.__pwned=61</script>"></iframe>',
        "<iframe",
    ),
    ("p07 &lt;script&gt;window.__pwned=7&lt;/script&gt; &#60;img src=x onerror=window.__pwned=71&#62;", "p07"),
    ("p08 [data8](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD04PC9zY3JpcHQ+)", "data8"),
    (
        "p09 [mixed9](JaVaScRiPt:window.__pwned=9) [entity9](&#106;avascript:window.__pwned=91) [space9]( javascript:window.__pwned=92)",
        "mixed9",
    ),
    ("p10 <svg onload=window.__pwned=10></svg> <details open ontoggle=window.__pwned=101>d10</details>", "p10"),
    ("p11 <javascript:window.__pwned=11> [ref11][r] [r]: javascript:window.__pwned=111", "p11"),
    ('p12 <object data="javascript:window.__pwned=12"></object> <embed src="javascript:window.__pwned=121">', "p12"),
    # A plain link must stay a link (and is clicked below); it points at this machine, at a closed port.
    ("p13 [safe13](http://127.0.0.1:9/safe13)", "safe13"),
]
SAFE_LINK = "http://127.0.0.1:9/safe13"

ACTIVE_INSIDE_CHAT = (
    "script, iframe, frame, object, embed, img[src='x'], [onerror], [onload], [ontoggle], [onclick], [onmouseover]"
)
DANGEROUS_URLS = """() => {
  const bad = /^\\s*(javascript|vbscript):/i;
  return [...document.querySelectorAll('[href], [src], [action], [formaction], [data]')]
    .flatMap(el => ['href', 'src', 'action', 'formaction', 'data'].map(a => [el.tagName, a, el.getAttribute(a)]))
    .filter(([, , value]) => value !== null && bad.test(value));
}"""
# Streamlit's markdown keeps `data:` links (a known gap, reported; the fix belongs where messages are
# rendered). Browsers refuse to navigate a tab to a data: URL, so clicking it below must run nothing.
DATA_HTML_LINKS = (
    "[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')).filter(h => /^\\s*data:text\\/html/i.test(h))"
)


def pwned_everywhere(pages: list[Page]) -> list[str]:
    found = []
    for open_page in pages:
        for frame in open_page.frames:
            try:
                value = frame.evaluate("typeof window.__pwned === 'undefined' ? null : String(window.__pwned)")
            except Exception as exc:  # noqa: BLE001 (a frame that navigated away cannot be read: report it)
                value = f"unreadable frame {frame.url}: {exc}"
            if value is not None:
                found.append(f"{frame.url}: {value}")
    return found


def test_model_output_with_scripts_links_and_html_never_executes(app: StreamlitApp, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_app(page, app.url)
    for index, (payload, visible) in enumerate(PAYLOADS, start=1):
        send(page, payload + " /verbatim")  # the local model echoes it as raw Markdown, as a model may answer
        reply = wait_for_finished_reply(page, count=index)
        expect(reply).to_contain_text("You said:")
        expect(reply).to_contain_text(visible)
        expect(user_messages(page).nth(index - 1)).to_contain_text(visible)
    wait_until_idle(page)

    # The first payload is the title: shown as text in the heading and in the sidebar.
    expect(page.get_by_role("heading", level=1)).to_contain_text("<img src=x")
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("button", name=re.compile("<img src=x"))).to_be_visible()

    chat = page.locator(MESSAGES)
    expect(chat.locator(ACTIVE_INSIDE_CHAT)).to_have_count(0)
    expect(page.locator("script[src^='javascript'], iframe, img[src='x']")).to_have_count(0)
    assert page.evaluate(DANGEROUS_URLS) == []
    assert set(page.evaluate(DATA_HTML_LINKS)) <= {"data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD04PC9zY3JpcHQ+"}
    assert pwned_everywhere([page]) == []

    # Click every link the chat rendered (in both the user's messages and the replies). Markdown links
    # open a new tab; each click must open one, and nothing may run in it or here.
    links = chat.locator("a[href]")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert SAFE_LINK in hrefs, hrefs  # the plain link stayed a link
    popups: list[Page] = []
    for i in range(links.count()):
        link = links.nth(i)
        if not link.is_visible():
            continue
        if link.get_attribute("target") == "_blank":
            with page.context.expect_page() as opened:
                link.click()
            popup = opened.value
            popup.wait_for_load_state()
            popups.append(popup)
        else:  # a link made inert (href "#") stays in this tab
            link.click()
            page.wait_for_load_state()
            if not page.url.startswith(app.url):
                page.go_back()
    assert len(popups) >= hrefs.count(SAFE_LINK), hrefs
    assert pwned_everywhere([page, *popups]) == [], hrefs
    assert dialogs == [], dialogs
    assert all(not (popup.url or "").lower().startswith(("javascript", "data:")) for popup in popups), [p.url for p in popups]

    expect(page.locator(CHAT_INPUT)).to_be_visible()
    expect(assistant_messages(page)).to_have_count(len(PAYLOADS))
    expect_no_exception(page)


def test_the_url_check_finds_a_planted_javascript_link(app: StreamlitApp, page: Page) -> None:
    """The checks above can fail: the same script finds a javascript: link and an event handler once
    one is really in the page (planted through the DOM, as a rendering bug would)."""
    open_app(page, app.url)
    send(page, "plant a link here")
    wait_for_finished_reply(page, count=1)
    page.evaluate(
        """() => {
          const message = document.querySelector('[data-testid="stChatMessage"]');
          const a = document.createElement('a'); a.href = 'javascript:window.__pwned=99'; a.textContent = 'x';
          const img = document.createElement('img'); img.setAttribute('src', 'x'); img.setAttribute('onerror', 'window.__pwned=98');
          message.append(a, img);
        }"""
    )
    assert page.evaluate(DANGEROUS_URLS) == [["A", "href", "javascript:window.__pwned=99"]]
    expect(page.locator(MESSAGES).locator(ACTIVE_INSIDE_CHAT)).not_to_have_count(0)
    page.wait_for_function("window.__pwned === 98")
    assert pwned_everywhere([page]) != []
