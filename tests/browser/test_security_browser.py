"""Sign-in with a real OpenID Connect provider and two users in two browser contexts.

The app runs under `streamlit run` with Streamlit's documented `[auth]` section pointing at
`oidc-provider-mock` (a real OIDC provider from PyPI: discovery, authorization-code flow, signed ID
tokens, client registration, end-session), reached over plain http on localhost. Each user signs in
through the provider's form in their own browser context; both carry the SAME email, so any
isolation seen here comes from the subject, never from the email. Every way to reach data is tried
from the other user's side: the sidebar list, its search, a `?c=` link, the exports, the
`search_conversations` tool and the embeddings page's "Chat history" source.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_ui import (
    CHAT_INPUT,
    NAV_LINKS,
    conversation_id,
    expect_no_exception,
    messages,
    open_export,
    send,
    switch_tool_on,
    tool_chip,
    wait_for_finished_reply,
    wait_until_idle,
)
from tests.browser.conftest import app_environment
from tests.requirements_guard import require_or_skip
from tests.security.oidc import OidcProvider, running_provider, sign_in, sign_out, write_auth_secrets
from tests.streamlit_process import StreamlitApp, free_port

pytestmark = [
    pytest.mark.browser,
    # The provider runs in this process; its Authlib calls are deprecated upstream, not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*", "ignore::DeprecationWarning:oidc_provider_mock.*"),
]

SHARED_EMAIL = "same.person@example.test"
ALICE_SUB, ALICE_NAME = "alice-7d1c", "Alice Example"
BOB_SUB, BOB_NAME = "bob-42e9", "Bob Example"
SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'


@dataclass(frozen=True)
class AuthPortal:
    app: StreamlitApp
    provider: OidcProvider

    @property
    def url(self) -> str:
        return self.app.url

    def owner(self, sub: str) -> str:
        return f"oidc:{self.provider.issuer}:{sub}"

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Read the app's SQLite file (WAL mode lets a reader in while the app writes)."""
        with closing(sqlite3.connect(f"file:{self.app.data_dir / 'portal.db'}?mode=ro", uri=True)) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def auth_portal(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[AuthPortal]:
    require_or_skip(
        importlib.util.find_spec("oidc_provider_mock") is not None and importlib.util.find_spec("authlib") is not None,
        "oidc-provider-mock and Authlib are not installed; pip install -r requirements-dev.txt",
    )
    with running_provider() as provider:
        provider.set_user(ALICE_SUB, email=SHARED_EMAIL, name=ALICE_NAME)
        provider.set_user(BOB_SUB, email=SHARED_EMAIL, name=BOB_NAME)
        port = free_port()
        secrets_path = tmp_path_factory.mktemp("auth") / "secrets.toml"
        write_auth_secrets(secrets_path, provider, port)
        app = StreamlitApp(app_environment(STREAMLIT_SECRETS_FILES=str(secrets_path)))
        app.start(port=port)
        try:
            yield AuthPortal(app, provider)
        finally:
            app.cleanup()


def signed_in(new_context, portal: AuthPortal, sub: str, name: str) -> Page:
    page = new_context().new_page()
    page.set_viewport_size({"width": 1280, "height": 1300})  # the sidebar's tool picker fits without scrolling
    sign_in(page, portal.url, portal.provider, sub, expect_name=name)
    expect(page.locator(CHAT_INPUT)).to_be_visible()
    return page


def marker(word: str) -> str:
    return f"{word}{uuid.uuid4().hex[:8]}"


def start_conversation(page: Page, text: str) -> str:
    send(page, text)
    wait_for_finished_reply(page, count=1)
    return conversation_id(page)


def sidebar(page: Page):
    return page.locator(SIDEBAR)


def choose_in_multiselect(page: Page, label: str, option: str, attempts: int = 4) -> None:
    """Type into the multiselect's combobox to filter its options, then pick the one named `option`.

    By keyboard and with retries: near the bottom of the sidebar the popover repositions while it
    opens (a click waits for a stable element that keeps moving), and a rerun that lands while the
    list is open closes it again.
    """
    box = page.get_by_role("combobox", name=label)
    chosen = box.locator("xpath=ancestor::*[@data-testid='stMultiSelect']")
    for _ in range(attempts):
        wait_until_idle(page)
        box.scroll_into_view_if_needed()
        box.click()
        box.fill(option)
        matching = page.get_by_role("option", name=re.compile(re.escape(option)))
        try:
            expect(matching).to_have_count(1, timeout=5_000)
        except AssertionError:
            box.press("Escape")
            continue
        if matching.get_attribute("data-focused") != "true":
            box.press("ArrowDown")
        box.press("Enter")
        box.press("Escape")
        wait_until_idle(page)
        if option in chosen.inner_text():
            return
    expect(chosen).to_contain_text(option)


def expect_sign_in_screen_only(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator(CHAT_INPUT)).to_have_count(0)
    expect(page.locator(NAV_LINKS)).to_have_count(0)
    expect_no_exception(page)


def test_a_signed_out_visitor_only_gets_the_sign_in_screen(auth_portal: AuthPortal, page: Page) -> None:
    for path in ("/", "/model_info", "/embeddings"):
        page.goto(auth_portal.url + path)
        expect_sign_in_screen_only(page)
        expect(page.get_by_role("heading", name=re.compile("Model info|Embeddings"))).to_have_count(0)


def test_two_users_each_see_only_their_own_conversations(auth_portal: AuthPortal, new_context) -> None:
    alice, bob = (
        signed_in(new_context, auth_portal, ALICE_SUB, ALICE_NAME),
        signed_in(new_context, auth_portal, BOB_SUB, BOB_NAME),
    )
    alice_word, bob_word = marker("zebracorn"), marker("groceries")
    alice_id = start_conversation(alice, f"alice plans {alice_word}")
    bob_id = start_conversation(bob, f"bob list {bob_word}")

    # The owners in the database are issuer + subject, never the (shared) email.
    owners = dict(auth_portal.query("SELECT id, owner FROM conversations WHERE id IN (?, ?)", alice_id, bob_id))
    assert owners == {alice_id: auth_portal.owner(ALICE_SUB), bob_id: auth_portal.owner(BOB_SUB)}

    for page, own, other in ((alice, alice_word, bob_word), (bob, bob_word, alice_word)):
        page.reload()
        expect(sidebar(page).get_by_role("button", name=re.compile(own))).to_be_visible()
        expect(sidebar(page)).not_to_contain_text(other)

        # Search over titles and message text finds only the user's own conversations.
        search = sidebar(page).get_by_label("Search conversations")
        search.fill(other)
        expect(sidebar(page).get_by_text("No conversation matches")).to_be_visible()
        search.fill(own)
        expect(sidebar(page).get_by_role("button", name=re.compile(own))).to_be_visible()

    # A link to the other user's conversation: a friendly warning, no messages, no trace in the HTML.
    for page, other_id, other_word in ((bob, alice_id, alice_word), (alice, bob_id, bob_word)):
        page.goto(f"{auth_portal.url}/?c={other_id}")
        expect(page.get_by_text("does not exist or is not yours")).to_be_visible()
        expect(messages(page)).to_have_count(0)
        expect(page.get_by_role("heading", level=1, name="New chat", exact=True)).to_be_visible()
        expect(page.locator(".st-key-chat_menu")).to_have_count(0)  # no export or delete of another user's chat
        expect(page.get_by_role("button", name="JSON")).to_have_count(0)
        wait_until_idle(page)
        assert other_word not in page.content()
        expect_no_exception(page)


def download(page: Page, button: str) -> str:
    """Export the open conversation from its menu at the top of the chat, in format `button`."""
    dialog = open_export(page)
    with page.expect_download() as info:
        dialog.get_by_role("button", name=button).click()
    return Path(info.value.path()).read_text("utf-8")


def test_exports_hold_only_the_users_own_conversation(auth_portal: AuthPortal, new_context) -> None:
    alice, bob = (
        signed_in(new_context, auth_portal, ALICE_SUB, ALICE_NAME),
        signed_in(new_context, auth_portal, BOB_SUB, BOB_NAME),
    )
    alice_word, bob_word = marker("exportalice"), marker("exportbob")
    alice_id = start_conversation(alice, f"alice export {alice_word}")
    bob_id = start_conversation(bob, f"bob export {bob_word}")

    for page, own_id, own, other_id, other in (
        (alice, alice_id, alice_word, bob_id, bob_word),
        (bob, bob_id, bob_word, alice_id, alice_word),
    ):
        exported = json.loads(download(page, "JSON"))
        assert exported["conversation"]["id"] == own_id
        assert own in json.dumps(exported) and other not in json.dumps(exported)
        assert other_id not in json.dumps(exported)
        markdown = download(page, "Markdown")
        assert own in markdown and other not in markdown
        page.get_by_role("dialog").get_by_role("button", name="Done").click()


def ask_search_tool(portal: AuthPortal, page: Page, word: str) -> list[dict]:
    """Switch the tool on for a new conversation, ask the local model to search, return what the tool found."""
    wait_until_idle(page)
    switch_tool_on(page, "search_conversations")
    send(page, f"search my conversations for {word}")
    expect(tool_chip(page, "search_conversations").first).to_be_visible(timeout=30_000)
    wait_for_finished_reply(page)
    expect_no_exception(page)
    asked_in = conversation_id(page)
    rows = portal.query("SELECT content FROM messages WHERE conversation_id = ? AND role = 'tool'", asked_in)
    assert rows, "the model did not call the tool"
    return [match for (content,) in rows for match in json.loads(content)["matches"]]


def test_search_conversations_tool_never_reaches_the_other_user(auth_portal: AuthPortal, new_context) -> None:
    alice, bob = (
        signed_in(new_context, auth_portal, ALICE_SUB, ALICE_NAME),
        signed_in(new_context, auth_portal, BOB_SUB, BOB_NAME),
    )
    word = marker("toolsecret")
    alice_id = start_conversation(alice, f"alice notes {word}")
    bob_own_ids = {
        row[0] for row in auth_portal.query("SELECT id FROM conversations WHERE owner = ?", auth_portal.owner(BOB_SUB))
    }

    found_by_bob = ask_search_tool(auth_portal, bob, word)
    bob_own_ids.add(conversation_id(bob))  # the conversation he asked in holds the word too
    assert {m["id"] for m in found_by_bob} <= bob_own_ids, found_by_bob
    assert alice_id not in bob.content()

    # The same question from Alice finds her conversation: the tool works, it is the owner that differs.
    alice.get_by_role("button", name="New chat").first.click()
    expect(alice).not_to_have_url(re.compile(re.escape(alice_id)))
    found_by_alice = ask_search_tool(auth_portal, alice, word)
    assert alice_id in {m["id"] for m in found_by_alice}, found_by_alice


def test_embeddings_from_chat_history_only_offer_the_users_own_conversations(auth_portal: AuthPortal, new_context) -> None:
    alice, bob = (
        signed_in(new_context, auth_portal, ALICE_SUB, ALICE_NAME),
        signed_in(new_context, auth_portal, BOB_SUB, BOB_NAME),
    )
    alice_word, bob_word = marker("embedalice"), marker("embedbob")
    start_conversation(alice, f"alice diary {alice_word}")
    start_conversation(bob, f"bob diary {bob_word}")

    for page, own, other, sub in ((bob, bob_word, alice_word, BOB_SUB), (alice, alice_word, bob_word, ALICE_SUB)):
        page.locator(NAV_LINKS).filter(has_text="Embeddings").click()
        expect(page.get_by_role("heading", name="Embeddings")).to_be_visible()
        page.locator(MAIN).get_by_text("Chat history", exact=True).click()
        wait_until_idle(page)
        page.get_by_role("combobox", name="Conversations").click()
        options = page.get_by_role("option")
        expect(options.filter(has_text=own)).to_have_count(1)
        expect(options.filter(has_text=other)).to_have_count(0)
        page.keyboard.press("Escape")
        choose_in_multiselect(page, "Conversations", own)
        page.get_by_role("button", name="Embed", exact=True).click()
        expect(page.get_by_text("Search (nearest neighbours of a query)")).to_be_visible(timeout=30_000)
        wait_until_idle(page)
        assert other not in page.content()
        expect_no_exception(page)
        owners = {owner for (owner,) in auth_portal.query("SELECT DISTINCT owner FROM embedding_cache")}
        assert auth_portal.owner(sub) in owners
    owners = {owner for (owner,) in auth_portal.query("SELECT DISTINCT owner FROM embedding_cache")}
    assert "" not in owners  # nothing was cached for the anonymous owner while sign-in is on


def test_sign_out_ends_access_and_signing_in_again_restores_the_same_history(auth_portal: AuthPortal, new_context) -> None:
    page = signed_in(new_context, auth_portal, ALICE_SUB, ALICE_NAME)
    word = marker("comeback")
    alice_id = start_conversation(page, f"alice returns {word}")
    assert "_streamlit_user" not in page.evaluate("document.cookie")  # the identity cookie is HttpOnly
    assert any(c["name"] == "_streamlit_user" and c["httpOnly"] for c in page.context.cookies())

    sign_out(page, auth_portal.url, auth_portal.provider)
    expect_sign_in_screen_only(page)
    assert not any(c["name"].startswith("_streamlit_user") for c in page.context.cookies())
    page.goto(f"{auth_portal.url}/?c={alice_id}")
    expect_sign_in_screen_only(page)
    assert word not in page.content()

    sign_in(page, auth_portal.url, auth_portal.provider, ALICE_SUB, expect_name=ALICE_NAME)
    expect(sidebar(page).get_by_role("button", name=re.compile(word))).to_be_visible()
    page.goto(f"{auth_portal.url}/?c={alice_id}")
    expect(page.get_by_role("heading", level=1, name=re.compile(word))).to_be_visible()
    expect_no_exception(page)
