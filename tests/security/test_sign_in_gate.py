"""The router's sign-in gate and the owner of every stored row, through Streamlit's AppTest.

AppTest runs the real router and pages; `at.secrets` gives them an `[auth]` section and `at.user`
plays the identity Streamlit would read from its signed cookie (the real OIDC round trip is in
tests/browser/test_security_browser.py). Without `[auth]` the app is single-user (owner "").
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from components.auth import owner_from_claims
from storage import repository
from storage.models import Conversation
from tests.apptest import PortalApp, open_app
from tests.chat.page import page_title

ISSUER = "https://login.example.test"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "portal-test-client",
    "client_secret": "not-a-real-client-secret",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}
ALICE_CLAIMS = {"is_logged_in": True, "iss": ISSUER, "sub": "alice-sub", "email": "shared@example.test", "name": "Alice"}
BOB_CLAIMS = {"is_logged_in": True, "iss": ISSUER, "sub": "bob-sub", "email": "shared@example.test", "name": "Bob"}
ALICE = owner_from_claims(ALICE_CLAIMS)
BOB = owner_from_claims(BOB_CLAIMS)


@dataclass
class Database:
    sessions: sessionmaker[Session]

    def seed(self, owner: str, title: str, text: str) -> str:
        with self.sessions.begin() as session:
            conversation = repository.create_conversation(session, owner=owner, title=title)
            repository.add_message(session, conversation.id, role="user", content=text, owner=owner)
        return conversation.id

    def owners(self) -> dict[str, str]:
        with self.sessions.begin() as session:
            return {row.title: row.owner for row in session.scalars(select(Conversation))}


@pytest.fixture
def database(portal_app: PortalApp) -> Database:
    return Database(portal_app.sessions)


def run_app(user: dict | None, *, auth: bool = True, conversation_id: str | None = None) -> AppTest:
    return open_app(conversation_id or None, secrets={"auth": dict(AUTH)} if auth else None, user=user)


def page_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [m.value for m in app.caption] + [t.value for t in app.title]
    parts += [w.value for w in app.warning] + [e.value for e in app.error] + [i.value for i in app.info]
    parts += [h.value for h in app.html] + [b.label for b in app.button]
    parts += [b.label for b in app.button]
    return "\n".join(str(p) for p in parts)


def sidebar_conversations(app: AppTest) -> list[str]:
    return [b.label.replace("\\", "") for b in app.sidebar.button if (b.key or "").startswith("conv_title_")]


def test_without_auth_the_app_is_single_user_with_owner_empty(database: Database) -> None:
    app = run_app(None, auth=False)
    assert page_title(app) == "New chat"
    assert not [b for b in app.button if b.label in ("Sign in", "Sign out")]
    app.chat_input[0].set_value("single user hello").run()
    assert not app.exception
    assert database.owners() == {"single user hello": ""}


def test_signed_out_visitors_only_get_the_sign_in_screen(database: Database) -> None:
    anonymous_id = database.seed("", "made before sign-in was switched on", "anonymous secret")
    alice_id = database.seed(ALICE, "alice's plans", "alice secret")
    for conversation_id in (None, anonymous_id, alice_id):
        app = run_app({"is_logged_in": False}, conversation_id=conversation_id)
        assert [t.value for t in app.title] == ["Sign in"]
        assert [b.label for b in app.button] == ["Sign in"]
        assert len(app.chat_input) == 0
        assert sidebar_conversations(app) == []
        text = page_text(app)
        assert "secret" not in text and "plans" not in text, text
    # The click itself is Streamlit's (a redirect to /auth/login); the browser test follows it.


def test_a_signed_in_user_chats_as_their_own_owner_and_can_sign_out(database: Database) -> None:
    database.seed(BOB, "bob's private chat", "bob secret")
    database.seed("", "anonymous chat", "anonymous secret")
    app = run_app(ALICE_CLAIMS)
    assert page_title(app) == "New chat"
    assert any("Signed in as **Alice**" in c.value for c in app.sidebar.caption)
    assert [b.label for b in app.sidebar.button if b.label == "Sign out"] == ["Sign out"]
    assert sidebar_conversations(app) == []

    app.chat_input[0].set_value("alice says hello").run()
    assert not app.exception
    assert database.owners()["alice says hello"] == f"oidc:{ISSUER}:alice-sub"
    assert sidebar_conversations(app) == ["alice says hello"]

    next(b for b in app.sidebar.button if b.label == "Sign out").click().run()
    assert app.user == {"is_logged_in": False}  # st.logout() ran (AppTest records it this way)


def test_a_link_to_another_users_conversation_says_not_yours_and_shows_nothing(database: Database) -> None:
    bob_id = database.seed(BOB, "bob's private chat", "bob secret launch code")
    app = run_app(ALICE_CLAIMS, conversation_id=bob_id)
    assert any("not yours" in w.value for w in app.warning)
    assert page_title(app) == "New chat"
    assert len(app.chat_message) == 0
    text = page_text(app)
    assert "launch code" not in text and "bob's private chat" not in text
    assert not [m for m in app.menu_button if m.key == "chat_menu"]  # no menu (export, delete) for someone else's conversation
    assert not [b for b in app.get("download_button")]

    own = run_app(BOB_CLAIMS, conversation_id=bob_id)
    assert page_title(own) == "bob's private chat"
    assert len(own.chat_message) == 1
    own.menu_button(key="chat_menu").click("Export").run()
    assert len(own.get("download_button")) == 2  # Markdown and JSON: the check above can see them


def test_an_identity_without_a_subject_is_refused_before_any_page_runs(database: Database) -> None:
    database.seed("", "anonymous chat", "anonymous secret")
    app = run_app({"is_logged_in": True, "iss": ISSUER, "email": "shared@example.test"})
    assert any("cannot be used" in e.value for e in app.error)
    assert len(app.chat_input) == 0
    assert "anonymous secret" not in page_text(app)
    assert [b.label for b in app.button] == ["Sign out"]


def _owner_probe() -> None:
    import streamlit as st

    from components.auth import SignInRequired, current_owner

    try:
        st.text(f"owner={current_owner()!r}")
    except SignInRequired:
        st.text("refused")


@pytest.mark.parametrize(
    ("auth", "user", "shown"),
    [
        (False, None, "owner=''"),
        (True, {"is_logged_in": False}, "refused"),
        (True, {}, "refused"),  # no flag at all: not signed in either
        (True, ALICE_CLAIMS, f"owner={ALICE!r}"),
    ],
)
def test_current_owner_fails_closed_when_sign_in_is_on_but_nobody_signed_in(auth: bool, user: dict | None, shown: str) -> None:
    """Whatever page or helper asks, a signed-out session never gets the anonymous owner's data."""
    probe = AppTest.from_function(_owner_probe, default_timeout=10)
    if auth:
        probe.secrets["auth"] = dict(AUTH)
    if user is not None:
        probe.user = dict(user)
    probe.run()
    assert not probe.exception, [e.value for e in probe.exception]
    assert [t.value for t in probe.text] == [shown]
