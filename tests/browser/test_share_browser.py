"""Share links end to end: two identities of a real OpenID Connect provider, two browser contexts, and
the app on an endpoint that answers only its planted API key.

Alice chats (so the key is really used), makes a live link in the Share dialog and copies it. Bob
opens the link before he has signed in: he gets the sign-in screen, signs in, and is brought back to
the link, which shows Alice's conversation read-only (no message box). Everything the browser receives
for him is recorded, and neither the key (in any of its forms, tests/security/leak_scan.py) nor the
endpoint is in it. He continues it as a copy, which opens in his own list. Alice revokes the link, and
the same link is then the 404 page.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from localserver import RunningServer, ServerConfig, start
from tests.browser.chat_ui import (
    CHAT_INPUT,
    conversation_id,
    expect_no_exception,
    messages,
    send,
    wait_for_finished_reply,
    wait_until_idle,
)
from tests.browser.conftest import app_environment
from tests.browser.test_security_browser import AuthPortal
from tests.requirements_guard import require_or_skip
from tests.security.leak_scan import Evidence, find_leaks
from tests.security.oidc import AUTHORIZE_BUTTON, SUB_FIELD, running_provider, sign_in, write_auth_secrets
from tests.security.test_secret_leaks import Recorder
from tests.streamlit_process import StreamlitApp, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*", "ignore::DeprecationWarning:oidc_provider_mock.*"),
]

PLANTED_KEY = f"planted-share-key-{secrets.token_hex(12)}"
ALICE_SUB, ALICE_NAME = "alice-share-1", "Alice Sharer"
BOB_SUB, BOB_NAME = "bob-share-2", "Bob Reader"
NOT_FOUND = "404 — this link does not exist or was revoked"
SIDEBAR = '[data-testid="stSidebar"]'


@dataclass(frozen=True)
class SharePortal(AuthPortal):
    """The sign-in tests' portal (app, OIDC provider, SQLite reads), plus the keyed endpoint it talks to."""

    endpoint: str = ""


@pytest.fixture(scope="module")
def keyed_endpoint() -> Iterator[RunningServer]:
    server = start(config=ServerConfig(api_key=PLANTED_KEY, words_per_second=0))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def share_portal(tmp_path_factory: pytest.TempPathFactory, chromium_path: str, keyed_endpoint: RunningServer) -> Iterator[SharePortal]:
    require_or_skip(
        importlib.util.find_spec("oidc_provider_mock") is not None and importlib.util.find_spec("authlib") is not None,
        "oidc-provider-mock and Authlib are not installed; pip install -r requirements-dev.txt",
    )
    with running_provider() as provider:
        provider.set_user(ALICE_SUB, name=ALICE_NAME)
        provider.set_user(BOB_SUB, name=BOB_NAME)
        port = free_port()
        secrets_path = tmp_path_factory.mktemp("share-auth") / "secrets.toml"
        write_auth_secrets(secrets_path, provider, port)
        inference = {
            "AZURE_INFERENCE_ENDPOINT": keyed_endpoint.url,
            "AZURE_INFERENCE_CREDENTIAL": PLANTED_KEY,
            "AZURE_INFERENCE_MODEL": "local-chat",
        }
        app = StreamlitApp(app_environment(STREAMLIT_SECRETS_FILES=str(secrets_path)), inference=inference)
        app.start(port=port)
        try:
            yield SharePortal(app, provider, keyed_endpoint.url)
        finally:
            app.cleanup()


def open_share_dialog(page: Page):
    dialog = page.get_by_role("dialog")
    page.locator(".st-key-chat_menu button:visible").click()
    page.get_by_role("menuitem", name="Share").click()
    expect(dialog).to_contain_text("Share this conversation")
    return dialog


def sign_in_from_the_link(page: Page, portal: SharePortal, link: str, sub: str) -> None:
    """Open the link signed out: the sign-in screen, the provider's form, and back to the link."""
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator(CHAT_INPUT)).to_have_count(0)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{portal.provider.issuer}/oauth2/authorize**")
    page.get_by_placeholder(SUB_FIELD).fill(sub)
    page.get_by_role("button", name=AUTHORIZE_BUTTON, exact=True).click()
    page.wait_for_url(re.compile(r".*[?&]share="))


def captured(evidence: Evidence, *sources: str) -> bytes:
    return b"\n".join(item for name, items in evidence.sources.items() if name.startswith(sources) for item in items)


def test_a_link_opens_read_only_for_another_user_continues_as_a_copy_and_is_404_once_revoked(share_portal: SharePortal, new_context) -> None:
    portal = share_portal
    alice = new_context().new_page()
    sign_in(alice, portal.url, portal.provider, ALICE_SUB, expect_name=ALICE_NAME)
    word = f"lisbon{uuid.uuid4().hex[:8]}"
    send(alice, f"plan a trip to {word}")
    wait_for_finished_reply(alice, count=1)
    alice_id = conversation_id(alice)
    assert portal.query("SELECT owner FROM conversations WHERE id = ?", alice_id) == [(portal.owner(ALICE_SUB),)]

    dialog = open_share_dialog(alice)
    expect(dialog.get_by_role("radio", name=re.compile("^Live"))).to_be_checked()
    dialog.get_by_role("button", name="Create link").click()
    code = dialog.locator('[data-testid="stCode"]')
    expect(code).to_contain_text("?share=")
    link = code.inner_text().strip()
    assert link.startswith(f"{portal.url}/?share="), link
    expect(dialog).to_contain_text("(this conversation) · live")

    # Bob opens the link signed out, signs in, and lands on it: read-only, nothing of Alice's setup.
    bob = new_context().new_page()
    sign_in_from_the_link(bob, portal, link, BOB_SUB)
    expect(bob.get_by_role("heading", level=1, name=re.compile(word))).to_be_visible()
    # Signing in passes through the home page (Bob's own chat, which names the app's connection), so the
    # recording starts on the link itself: everything the shared view sends, from a fresh load.
    evidence = Evidence()
    recorder = Recorder(bob, portal.url, evidence)
    bob.reload()
    expect(bob.get_by_role("heading", level=1, name=re.compile(word))).to_be_visible()
    expect(bob.get_by_text(f"Signed in as {BOB_NAME}")).to_be_visible()
    expect(messages(bob)).to_have_count(2)
    expect(messages(bob).first).to_contain_text(word)
    expect(bob.locator(CHAT_INPUT)).to_have_count(0)
    for absent in ("Edit", "Regenerate", "Settings", "New chat"):
        expect(bob.get_by_role("button", name=absent, exact=True)).to_have_count(0)
    expect(bob.locator(".st-key-chat_menu")).to_have_count(0)
    expect_no_exception(bob)
    recorder.snapshot("shared view")
    assert bob.inner_text("body").count(word) >= 1
    seen = captured(evidence, "page HTML", "websocket frame received")
    assert word.encode() in seen, "the recording holds nothing of the page, so it proves little"
    assert find_leaks(evidence, PLANTED_KEY) == []
    endpoint_host = portal.endpoint.split("//", 1)[1].encode()  # 127.0.0.1:<the endpoint's port>
    for needle in (endpoint_host, b"local-chat"):
        at = seen.find(needle)
        assert at < 0, repr(seen[max(0, at - 300) : at + 100])

    # Continue as a copy: Bob's own conversation, open in the chat with its message box.
    bob.get_by_role("button", name="Continue as a copy").click()
    expect(bob.locator(CHAT_INPUT)).to_be_visible()
    copy_id = conversation_id(bob)
    assert copy_id != alice_id
    expect(bob.locator(SIDEBAR).get_by_role("button", name=re.compile(word))).to_be_visible()
    assert portal.query("SELECT owner FROM conversations WHERE id = ?", copy_id) == [(portal.owner(BOB_SUB),)]
    assert portal.query("SELECT count(*) FROM messages WHERE conversation_id = ?", copy_id) == [(2,)]
    assert find_leaks(evidence, PLANTED_KEY) == []

    # Alice revokes; the same link is now the 404 page for Bob.
    dialog.get_by_role("button", name="Revoke").click()
    expect(dialog.get_by_text("None yet.")).to_be_visible()
    bob.goto(link)
    expect(bob.get_by_role("heading", level=1, name=NOT_FOUND)).to_be_visible()
    expect(messages(bob)).to_have_count(0)
    wait_until_idle(bob)
    assert word not in bob.content()
    expect_no_exception(bob)
