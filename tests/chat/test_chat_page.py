"""The chat page through Streamlit's AppTest: the real router, the real offline server, a real SQLite file.

Each test gets its own data directory (PORTAL_DATA_DIR) and fresh Streamlit caches: `st.cache_resource`
and `st.cache_data` outlive an AppTest (streamlit#9139), so without clearing them every test would
share the first test's database. Conversations that need a long history are seeded straight through
the storage repository; everything else goes through the page as a user would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from storage.records import MessageRecord
from tests.chat.support import unique

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
WORDS_PER_SECOND = "0"


def _clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _release_cached_resources(data_dir: Path) -> None:
    """Stop the offline server and close the database the app cached, before the caches are dropped."""
    from components import resources  # imported late: only the page tests need the Streamlit side

    resources._offline_server(float(WORDS_PER_SECOND)).stop(timeout=1)
    if (data_dir / "portal.db").exists():
        sessions = resources._database(default_database_url(data_dir))
        sessions.kw["bind"].dispose()


@dataclass
class Portal:
    """The test's data directory and a session factory on the same SQLite file the app uses."""

    data_dir: Path
    sessions: sessionmaker[Session]

    def messages(self, conversation_id: str) -> list[MessageRecord]:
        with self.sessions.begin() as session:
            return repository.list_messages(session, conversation_id)

    def conversations(self):
        with self.sessions.begin() as session:
            return repository.list_conversations(session, limit=100).items

    def seed(self, title: str, contents: list[str]) -> str:
        with self.sessions.begin() as session:
            conversation = repository.create_conversation(session, title=title)
            for index, content in enumerate(contents):
                role = "user" if index % 2 == 0 else "assistant"
                repository.add_message(session, conversation.id, role=role, content=content, model="local-chat" if role == "assistant" else None)
        return conversation.id


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    """A clean environment for the app: offline demo, fast streaming, one retry, its own database."""
    for name in list(os.environ):
        if name.startswith(("AZURE_INFERENCE_", "PORTAL_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_OFFLINE_WORDS_PER_SECOND", WORDS_PER_SECOND)
    monkeypatch.setenv("PORTAL_MAX_RATE_LIMIT_RETRIES", "1")
    _clear_streamlit_caches()
    engine = make_engine(default_database_url(tmp_path))
    upgrade_to_head(engine)
    try:
        yield Portal(tmp_path, make_sessionmaker(engine))
    finally:
        engine.dispose()
        _release_cached_resources(tmp_path)
        _clear_streamlit_caches()


def open_app(conversation_id: str | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=30)
    if conversation_id is not None:
        app.query_params["c"] = conversation_id
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def send(app: AppTest, text: str) -> AppTest:
    app.chat_input[0].set_value(text).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def transcript(app: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every rendered chat message."""
    return [(m.name, "\n".join(md.value for md in m.markdown)) for m in app.chat_message]


def bubble(app: AppTest, index: int):
    return app.chat_message[index]


def button(app: AppTest, label: str):
    matches = [b for b in app.button if b.label == label]
    assert len(matches) == 1, f"expected one {label!r} button, found {[b.label for b in app.button]}"
    return matches[0]


def sidebar_conversations(app: AppTest) -> list[str]:
    return [b.label for b in app.sidebar.button if (b.key or "").startswith("open_")]


# -- sending -------------------------------------------------------------------------------------------


def test_offline_banner_says_offline(portal: Portal) -> None:
    app = open_app()
    banners = [info.value for info in app.info]
    assert any("offline" in text.lower() for text in banners), banners
    assert app.title[0].value == "Chat"
    assert transcript(app) == []


def test_sending_a_message_streams_both_messages_with_metrics_and_stores_them(portal: Portal) -> None:
    text = unique("Hello portal, what is 2 + 3?")
    app = send(open_app(), text)

    conversation_id = app.query_params["c"]
    assert conversation_id
    shown = transcript(app)
    assert shown[0] == ("user", text)
    assert shown[1][0] == "assistant"
    assert shown[1][1].startswith(f'You said: "{text}".')
    assert "By my arithmetic `2 + 3` = 5." in shown[1][1]
    metrics = [caption.value for caption in bubble(app, 1).caption]
    assert len(metrics) == 1
    assert "`local-chat`" in metrics[0]
    assert "prompt +" in metrics[0] and "completion tokens" in metrics[0]
    assert "first token" in metrics[0] and "total" in metrics[0] and "tokens/s" in metrics[0]
    assert "finish: stop" in metrics[0]
    assert app.title[0].value == text  # the first message names the conversation
    assert sidebar_conversations(app) == [text]

    user, reply = portal.messages(conversation_id)
    assert (user.role, user.content, user.status) == ("user", text, "complete")
    assert (reply.role, reply.status, reply.finish_reason, reply.model) == ("assistant", "complete", "stop", "local-chat")
    assert reply.content == shown[1][1]
    assert reply.completion_tokens and reply.prompt_tokens and reply.total_time_ms and reply.time_to_first_token_ms


def test_sidebar_settings_are_sent_as_request_parameters(portal: Portal) -> None:
    app = open_app()
    app.number_input(key="max_draft").set_value(3)
    app.number_input(key="temp_draft").set_value(0.5)
    app.number_input(key="seed_draft").set_value(2)
    app = send(app, unique("hello there"))

    shown = transcript(app)
    assert shown[1] == ("assistant", "Your message reads:")  # seed 2's opening, cut at three tokens
    metrics = bubble(app, 1).caption[0].value
    assert "3 completion tokens" in metrics
    assert "finish: length" in metrics

    conversation_id = app.query_params["c"]
    reply = portal.messages(conversation_id)[1]
    assert reply.finish_reason == "length"
    assert reply.completion_tokens == 3
    assert reply.params == {"model": "local-chat", "temperature": 0.5, "max_tokens": 3, "seed": 2}
    with portal.sessions.begin() as session:
        stored = repository.get_conversation(session, conversation_id).settings
    assert (stored["temperature"], stored["max_tokens"], stored["seed"]) == (0.5, 3, 2)
    # The open conversation shows its own settings.
    assert app.number_input(key=f"max_{conversation_id}").value == 3


@pytest.mark.parametrize(
    ("fault", "level", "expected"),
    [
        ("/fault 500", "error", "The model service failed"),
        ("/fault 401", "error", "The endpoint refused the credentials"),
        ("/fault filter", "error", "Blocked by the content filter"),
        ("/fault 429", "error", "Rate limited: Rate limit is exceeded."),
        ("/fault cut:3", "warning", "The connection closed before the reply was complete"),
    ],
    ids=["500", "401", "filter", "429", "cut"],
)
def test_errors_show_their_message_keep_the_user_text_and_the_next_message_works(
    portal: Portal, fault: str, level: str, expected: str
) -> None:
    text = unique(f"{fault} please")
    app = send(open_app(), text)

    shown = transcript(app)
    assert shown[0] == ("user", text)
    assert shown[1][0] == "assistant"
    markers = [element.value for element in getattr(bubble(app, 1), level)]
    assert len(markers) == 1 and expected in markers[0], markers
    conversation_id = app.query_params["c"]
    user, reply = portal.messages(conversation_id)
    assert user.content == text
    assert expected in reply.error
    if fault.startswith("/fault cut"):
        assert "Incomplete: the reply ended before the model finished." in markers[0]
        assert reply.status == "incomplete"
        assert shown[1][1] == reply.content == "You said:"  # the two tokens that arrived are kept
    else:
        assert markers[0].startswith("The request failed.")
        assert reply.status == "error"
        assert shown[1][1] == ""

    app = send(app, "and now without a fault")
    shown = transcript(app)
    assert shown[2] == ("user", "and now without a fault")
    assert shown[3][1].startswith('You said: "and now without a fault".')
    assert "finish: stop" in bubble(app, 3).caption[0].value
    assert [m.status for m in portal.messages(conversation_id)][2:] == ["complete", "complete"]


@pytest.mark.parametrize("text", ["   ", "\x00\x00"], ids=["blank", "nul"])
def test_empty_message_shows_a_warning_and_stores_nothing(portal: Portal, text: str) -> None:
    app = send(open_app(), text)
    assert any("Type a message first" in w.value for w in app.warning)
    assert transcript(app) == []
    assert "c" not in app.query_params
    assert portal.conversations() == ()


# -- long conversations and navigation -------------------------------------------------------------


def test_long_conversation_shows_the_latest_40_and_reveals_earlier_ones(portal: Portal) -> None:
    conversation_id = portal.seed("A long one", [f"message {i:03d}" for i in range(120)])
    app = open_app(conversation_id)

    shown = transcript(app)
    assert len(shown) == 40
    assert shown[0][1] == "message 080" and shown[-1][1] == "message 119"
    button(app, "Show earlier messages (80 hidden)").click().run()
    shown = transcript(app)
    assert len(shown) == 90
    assert shown[0][1] == "message 030"
    button(app, "Show earlier messages (30 hidden)").click().run()
    shown = transcript(app)
    assert [text for _, text in shown] == [f"message {i:03d}" for i in range(120)]
    assert not [b for b in app.button if b.label.startswith("Show earlier messages")]
    assert not app.exception


@pytest.mark.parametrize("bad_id", ["no-such-conversation", "6f1c2a0e-0000-4000-8000-000000000000"], ids=["malformed", "unknown"])
def test_unknown_conversation_in_the_url_shows_a_warning(portal: Portal, bad_id: str) -> None:
    portal.seed("Someone's chat", ["hello", "hi"])
    app = open_app(bad_id)
    assert any("does not exist" in w.value for w in app.warning)
    assert app.title[0].value == "Chat"
    assert transcript(app) == []
    assert sidebar_conversations(app) == ["Someone's chat"]


def test_rename_from_the_sidebar(portal: Portal) -> None:
    app = send(open_app(), unique("name me"))
    conversation_id = app.query_params["c"]

    app.text_input(key=f"title_{conversation_id}").input("Renamed chat")
    app.button(key=f"rename_{conversation_id}").click().run()

    assert not app.exception
    assert app.title[0].value == "Renamed chat"
    assert sidebar_conversations(app) == ["Renamed chat"]
    assert [c.title for c in portal.conversations()] == ["Renamed chat"]
    assert len(transcript(app)) == 2


def test_delete_needs_confirmation(portal: Portal) -> None:
    other = portal.seed("Keep me", ["keep", "kept"])
    app = send(open_app(), unique("delete me"))
    conversation_id = app.query_params["c"]

    app.button(key=f"delete_{conversation_id}").click().run()
    assert any("This cannot be undone" in w.value for w in app.sidebar.warning)
    app.button(key=f"delete_no_{conversation_id}").click().run()
    assert not any("This cannot be undone" in w.value for w in app.sidebar.warning)
    assert len(portal.conversations()) == 2  # cancelled: nothing deleted

    app.button(key=f"delete_{conversation_id}").click().run()
    app.button(key=f"delete_yes_{conversation_id}").click().run()
    assert not app.exception
    assert "c" not in app.query_params
    assert [c.id for c in portal.conversations()] == [other]
    assert portal.messages(conversation_id) == []
    assert sidebar_conversations(app) == ["Keep me"]
    assert app.title[0].value == "Chat"


def test_search_filters_the_sidebar_list(portal: Portal) -> None:
    portal.seed("Apple pie recipe", ["how long to bake?", "forty minutes"])
    portal.seed("Banana bread", ["it needs ripe kiwi too", "no, it does not"])
    portal.seed("Cherry tart", ["pitting cherries", "use a straw"])
    app = open_app()
    assert sorted(sidebar_conversations(app)) == ["Apple pie recipe", "Banana bread", "Cherry tart"]

    search = app.text_input(key="portal_sidebar_search")
    search.input("apple").run()
    assert sidebar_conversations(app) == ["Apple pie recipe"]
    app.text_input(key="portal_sidebar_search").input("KIWI").run()  # message text, any case
    assert sidebar_conversations(app) == ["Banana bread"]
    app.text_input(key="portal_sidebar_search").input("durian").run()
    assert sidebar_conversations(app) == []
    assert any(c.value == "No conversations match." for c in app.sidebar.caption)
    app.text_input(key="portal_sidebar_search").input("").run()
    assert len(sidebar_conversations(app)) == 3


# -- regenerate and edit ---------------------------------------------------------------------------


def test_regenerate_replaces_the_last_reply(portal: Portal) -> None:
    text = unique("say it again")
    app = send(open_app(), text)
    conversation_id = app.query_params["c"]
    assert transcript(app)[1][1].startswith(f'You said: "{text}".')

    app.number_input(key=f"seed_{conversation_id}").set_value(1).run()  # a different opening next time
    button(app, "Regenerate").click().run()

    assert not app.exception
    shown = transcript(app)
    assert len(shown) == 2
    assert shown[0] == ("user", text)
    assert shown[1][1].startswith(f'You wrote: "{text}".')
    stored = portal.messages(conversation_id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete")]
    assert stored[1].content == shown[1][1]
    assert stored[1].params == {"model": "local-chat", "seed": 1}


def test_edit_and_resend_replaces_the_last_exchange(portal: Portal) -> None:
    app = send(open_app(), unique("first version"))
    conversation_id = app.query_params["c"]

    button(app, "Edit last message").click().run()
    editor = [t for t in app.text_area if t.label.startswith("Edit your last message")]
    assert len(editor) == 1
    editor[0].input("second version")
    button(app, "Resend").click().run()

    assert not app.exception
    shown = transcript(app)
    assert [role for role, _ in shown] == ["user", "assistant"]
    assert shown[0][1] == "second version"
    assert shown[1][1].startswith('You said: "second version".')
    assert [m.content for m in portal.messages(conversation_id)][0] == "second version"
