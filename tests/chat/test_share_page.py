"""Share links in the real app (AppTest): the Share dialog of a conversation's menu, the read-only view
a link opens, "Continue as a copy", revoke, and the sign-in gate in front of a link.

Alice's conversation is seeded as the chat stores one (settings with a system prompt and a model, a
reply with its model and parameters, an error naming the endpoint), and the app runs on a named
connection with an endpoint and a key (the local server that only answers that key), so the view can
be searched for all of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from components.auth import owner_from_claims
from portal.shares import Shares
from storage import repository
from storage.records import MessageStatus
from tests.apptest import PortalApp, assert_no_exception, open_app
from tests.chat.page import page_title, transcript
from tests.conftest import TEST_API_KEY
from tests.security.test_sign_in_gate import AUTH, ISSUER  # the same fake provider's settings

ALICE_CLAIMS = {"is_logged_in": True, "iss": ISSUER, "sub": "alice-sub", "name": "Alice"}
BOB_CLAIMS = {"is_logged_in": True, "iss": ISSUER, "sub": "bob-sub", "name": "Bob"}
ALICE, BOB = owner_from_claims(ALICE_CLAIMS), owner_from_claims(BOB_CLAIMS)
SYSTEM_PROMPT = "Secret system prompt: codeword heliotrope"
CONNECTION_NAME = "Alice Foundry"


@dataclass
class SharePortal:
    """The app with sign-in on and one named connection: the keyed local server (`endpoint`, TEST_API_KEY)."""

    app: PortalApp
    endpoint: str

    @property
    def sessions(self):
        return self.app.sessions

    def run_as(self, claims: dict | None, conversation_id: str | None = None, **query: str) -> AppTest:
        connection = {"endpoint": self.endpoint, "api_key": TEST_API_KEY, "chat_model": "alice-deployment"}
        secrets = {"auth": dict(AUTH), "connections": {CONNECTION_NAME: connection}}
        user = claims if claims is not None else {"is_logged_in": False}
        return open_app(conversation_id, secrets=secrets, user=user, **query)


@pytest.fixture
def portal(portal_app: PortalApp, keyed_server) -> SharePortal:
    return SharePortal(portal_app.set(PORTAL_OFFLINE_DEMO="never"), keyed_server.url)


def seed(portal: SharePortal | PortalApp, owner: str = ALICE) -> str:
    settings = {"system_prompt": SYSTEM_PROMPT, "model": "alice-deployment", "temperature": 0.2}
    with portal.sessions.begin() as session:
        cid = repository.create_conversation(session, owner=owner, title="Alice's *trip*", settings=settings).id
        repository.add_message(session, cid, role="user", content="Where to in May?", owner=owner)
        repository.add_message(session, cid, role="assistant", content="Lisbon.", owner=owner, model="alice-deployment", params={"temperature": 0.2})
        repository.add_message(session, cid, role="user", content="And June?", owner=owner)
        failed = repository.add_message(session, cid, role="assistant", content="", owner=owner, status=MessageStatus.ERROR)
        repository.update_message(session, failed.id, owner=owner, error=f"The endpoint could not be reached. Details: {getattr(portal, 'endpoint', '')}.")
    return cid


def everything_shown(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [h.value for h in app.html]
    parts += [e.value for e in app.error] + [w.value for w in app.warning] + [b.label for b in app.button]
    parts += [c.value for c in app.code] + [t.value for t in app.title]
    return "\n".join(str(p) for p in parts)


def link_token(app: AppTest) -> str:
    links = [c.value for c in app.code if "share=" in c.value]
    assert len(links) == 1, [c.value for c in app.code]
    return re.search(r"[?&]share=([A-Za-z0-9_-]+)", links[0]).group(1)  # type: ignore[union-attr]


def test_the_share_dialog_makes_a_link_lists_it_and_revokes_it(portal: SharePortal) -> None:
    cid = seed(portal)
    app = portal.run_as(ALICE_CLAIMS, cid)
    assert "Share" in app.menu_button(key="chat_menu").proto.options

    app.menu_button(key="chat_menu").click("Share").run()
    assert_no_exception(app)
    assert app.radio(key="share_mode").options == [
        "Live: the conversation as it is whenever the link is opened",
        "Snapshot: the conversation as it is now; later messages are not shown",
    ]
    app.radio(key="share_mode").set_value("snapshot")
    app.button(key="share_create").click().run()
    assert_no_exception(app)
    token = link_token(app)
    assert len(token) >= 22  # at least 128 bits in URL-safe base64 (43 characters for the 256 bits made)
    shared = Shares(portal.sessions, owner=BOB).open(token)
    assert shared is not None and shared.mode == "snapshot" and shared.title == "Alice's *trip*"
    (listed,) = Shares(portal.sessions, owner=ALICE).list()
    assert any("this conversation" in c.value and "snapshot" in c.value for c in app.caption)

    app.button(key=f"revoke_{listed.id[:16]}").click().run()
    assert_no_exception(app)
    assert Shares(portal.sessions, owner=ALICE).list() == []
    assert Shares(portal.sessions, owner=BOB).open(token) is None
    assert any(c.value == "None yet." for c in app.caption)


def test_a_link_opens_read_only_for_another_user_and_shows_nothing_of_the_owners_setup(portal: SharePortal) -> None:
    cid = seed(portal)
    token = Shares(portal.sessions, owner=ALICE).create(cid, "live").token

    app = portal.run_as(BOB_CLAIMS, share=token)

    assert page_title(app) == "Alice's *trip*"
    assert transcript(app) == [("user", "Where to in May?"), ("assistant", "Lisbon."), ("user", "And June?"), ("assistant", "")]
    assert len(app.chat_input) == 0  # read-only: no message box
    labels = [b.label for b in app.button]
    assert "Continue as a copy" in labels
    assert not {"Edit", "Regenerate", "New chat", "Settings"} & set(labels)
    assert not [p for p in app.get("popover") if p.proto.label == "Settings"]
    assert not [m for m in app.menu_button if m.key == "chat_menu"]
    assert not app.selectbox  # no connection picker
    shown = everything_shown(app)
    host = portal.endpoint.split("//", 1)[1]
    for hidden in (portal.endpoint, host, TEST_API_KEY, SYSTEM_PROMPT, "heliotrope", "alice-deployment", CONNECTION_NAME, cid):
        assert hidden not in shown, hidden
    assert "The request failed; its details are not shared." in shown


def test_continue_as_a_copy_opens_the_copy_in_the_readers_own_list(portal: SharePortal) -> None:
    cid = seed(portal)
    token = Shares(portal.sessions, owner=ALICE).create(cid, "snapshot").token
    app = portal.run_as(BOB_CLAIMS, share=token)

    app.button(key="shared_copy").click().run()
    assert_no_exception(app)

    with portal.sessions.begin() as session:
        (copy,) = repository.list_conversations(session, owner=BOB).items
    assert copy.id != cid and copy.title == "Alice's *trip*" and copy.settings == {}
    assert "share" not in app.query_params and app.query_params["c"] == copy.id
    assert len(app.chat_input) == 1  # the copy is Bob's own chat: he can write in it
    assert page_title(app) == "Alice's *trip*"
    assert transcript(app)[:3] == [("user", "Where to in May?"), ("assistant", "Lisbon."), ("user", "And June?")]
    with portal.sessions.begin() as session:
        assert [c.id for c in repository.list_conversations(session, owner=ALICE).items] == [cid]


@pytest.mark.parametrize("revoked", [True, False], ids=["revoked", "unknown"])
def test_a_revoked_or_unknown_link_is_the_404_page(portal: SharePortal, revoked: bool) -> None:
    cid = seed(portal)
    alice = Shares(portal.sessions, owner=ALICE)
    made = alice.create(cid, "live")
    if revoked:
        alice.revoke(made.record.id)
        token = made.token
    else:
        token = "A" * 43

    app = portal.run_as(BOB_CLAIMS, share=token)

    assert page_title(app) == "404 — this link does not exist or was revoked"
    assert len(app.chat_message) == 0 and len(app.chat_input) == 0
    assert "Lisbon" not in everything_shown(app)


def test_a_signed_out_visitor_with_a_link_gets_only_the_sign_in_screen(portal: SharePortal) -> None:
    cid = seed(portal)
    token = Shares(portal.sessions, owner=ALICE).create(cid, "live").token

    app = portal.run_as(None, share=token)

    assert [t.value for t in app.title] == ["Sign in"]
    assert [b.label for b in app.button] == ["Sign in"]
    assert len(app.chat_message) == 0
    shown = everything_shown(app)
    assert "Lisbon" not in shown and "trip" not in shown
    # The token is kept in the tab (sessionStorage), so the link opens once the visitor has signed in.
    assert any(token in h.value and "sessionStorage" in h.value for h in app.html)


def test_without_sign_in_the_single_user_can_share_and_open_links(portal_app: PortalApp) -> None:
    cid = seed(portal_app, owner="")
    token = Shares(portal_app.sessions, owner="").create(cid, "live").token

    app = open_app(share=token)

    assert page_title(app) == "Alice's *trip*" and len(app.chat_input) == 0


def test_a_long_shared_conversation_shows_its_latest_messages_and_earlier_ones_on_demand(portal: SharePortal) -> None:
    with portal.sessions.begin() as session:
        cid = repository.create_conversation(session, owner=ALICE, title="Long").id
        for index in range(45):
            repository.add_message(session, cid, role="user", content=f"line {index}", owner=ALICE)
    token = Shares(portal.sessions, owner=ALICE).create(cid, "live").token
    app = portal.run_as(BOB_CLAIMS, share=token)
    assert len(app.chat_message) == 40 and transcript(app)[0] == ("user", "line 5")

    next(b for b in app.button if b.label.startswith("Show earlier messages (5 hidden)")).click().run()

    assert_no_exception(app)
    assert len(app.chat_message) == 45 and transcript(app)[0] == ("user", "line 0")
    assert len(app.chat_input) == 0
