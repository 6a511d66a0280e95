"""The chat page through Streamlit's AppTest: the real router, the real offline server, a real SQLite file.

Each test gets its own data directory (PORTAL_DATA_DIR) and fresh Streamlit caches (the `portal_app`
fixture, tests/apptest.py). Conversations that need a long history are seeded straight through
the storage repository; everything else goes through the page as a user would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from components import chat_page
from portal.chat_service import title_from
from storage import repository
from storage.records import MessageRecord
from tests.apptest import PortalApp, assert_no_exception, open_app
from tests.chat.page import bubble, button, page_title, said, sidebar_conversations, sidebar_groups, stats_line, transcript
from tests.chat.support import unique


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
def portal(portal_app: PortalApp) -> Portal:
    """The app's environment (tests/apptest.py: offline demo, fast streaming, its own database), one retry."""
    portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="1")
    return Portal(portal_app.data_dir, portal_app.sessions)


def send(app: AppTest, text: str) -> AppTest:
    app.chat_input[0].set_value(text).run()
    assert_no_exception(app)
    return app


def run(app: AppTest) -> AppTest:
    app.run()
    assert_no_exception(app)
    return app


# -- sending -------------------------------------------------------------------------------------------


def test_the_offline_banner_is_one_line_with_a_way_to_connect_a_model(portal: Portal) -> None:
    app = open_app()

    banner = [c.value for c in app.caption if "Offline demo" in c.value]
    assert len(banner) == 1 and "\n" not in banner[0]
    assert button(app, "Connect your model")
    assert page_title(app) == "New chat"
    assert transcript(app) == []
    assert any("No conversations yet" in c.value for c in app.sidebar.caption)


def test_sending_a_message_streams_one_turn_with_its_stats_and_stores_both(portal: Portal) -> None:
    text = unique("Hello portal,\nwhat is 2 + 3?\n\n  indented line")
    app = send(open_app(), text)

    conversation_id = app.query_params["c"]
    assert conversation_id
    shown = transcript(app)
    assert shown[0] == ("user", text)  # line breaks and spaces as typed
    assert [said(bubble(app, 0)), said(bubble(app, 1))] == ["You said:", "The model said:"]
    assert shown[1][0] == "assistant"
    assert "By my arithmetic `2 + 3` = 5." in shown[1][1]
    metrics = stats_line(bubble(app, 1))
    assert "`local-chat`" in metrics
    assert "prompt +" in metrics and "first token" in metrics and "total" in metrics and "tokens/s" in metrics
    assert "finish: stop" in metrics
    assert page_title(app) == title_from(text) and title_from(text).startswith("Hello portal, what is")  # named by it
    assert sidebar_conversations(app) == [title_from(text)]
    assert sidebar_groups(app) == ["Today"]

    user, reply = portal.messages(conversation_id)
    assert (user.role, user.content, user.status) == ("user", text, "complete")
    assert (reply.role, reply.status, reply.finish_reason, reply.model) == ("assistant", "complete", "stop", "local-chat")
    assert reply.content == shown[1][1]
    assert reply.completion_tokens and reply.prompt_tokens and reply.total_time_ms and reply.time_to_first_token_ms


def test_user_text_is_never_markdown_or_html(portal: Portal) -> None:
    text = unique("**not bold** <b>not html</b> <img src=x onerror=alert(1)> [link](javascript:alert(1))")
    app = send(open_app(), text)

    paragraph = next(h.value for h in bubble(app, 0).html if "portal-user-text" in h.value)
    assert "<b>" not in paragraph and "<img" not in paragraph and "&lt;img src=x" in paragraph
    assert transcript(app)[0] == ("user", text)


def test_the_settings_panel_is_sent_and_summarised_above_the_chat(portal: Portal) -> None:
    app = open_app()
    app.number_input(key="max_draft").set_value(3)
    app.number_input(key="temp_draft").set_value(0.5)
    app.number_input(key="seed_draft").set_value(2)
    app = send(app, unique("hello there"))

    shown = transcript(app)
    assert shown[1] == ("assistant", "Your message reads:")  # seed 2's opening, cut at three tokens
    metrics = stats_line(bubble(app, 1))
    assert "3 completion tokens" in metrics and "finish: length" in metrics
    assert any(c.value == "local-chat · temperature 0.5 · max 3 tokens" for c in app.caption)

    conversation_id = app.query_params["c"]
    reply = portal.messages(conversation_id)[1]
    assert (reply.finish_reason, reply.completion_tokens) == ("length", 3)
    assert reply.params == {"model": "local-chat", "temperature": 0.5, "max_tokens": 3, "seed": 2}
    with portal.sessions.begin() as session:
        stored = repository.get_conversation(session, conversation_id).settings
    assert (stored["temperature"], stored["max_tokens"], stored["seed"]) == (0.5, 3, 2)
    # The open conversation shows its own settings.
    assert app.number_input(key=f"max_{conversation_id}").value == 3


@pytest.mark.parametrize(
    ("fault", "level", "status", "expected"),
    [
        ("/fault 500", "error", "error", "The model service failed. Try again in a moment. Details: "),
        ("/fault 401", "error", "error", "The endpoint refused the credentials. Check the API key"),
        ("/fault filter", "error", "error", "The content filter blocked this request. Rephrase the message"),
        ("/fault 429", "error", "error", "The endpoint is rate limiting requests. Wait a moment, then try again. Details: "),
        ("/fault cut:3", "warning", "incomplete", "The connection dropped before the reply finished; what arrived is kept."),
    ],
    ids=["500", "401", "filter", "429", "cut"],
)
def test_errors_say_once_what_happened_keep_the_user_text_and_the_next_message_works(
    portal: Portal, fault: str, level: str, status: str, expected: str
) -> None:
    text = unique(f"{fault} please")
    app = send(open_app(), text)

    shown = transcript(app)
    assert shown[0] == ("user", text)
    markers = [element.value for element in getattr(bubble(app, 1), level)]
    assert len(markers) == 1 and markers[0].startswith(expected), markers
    sentences = [s.strip() for s in markers[0].replace(";", ".").split(".") if s.strip()]
    assert len(sentences) == len(set(sentences)), markers[0]  # nothing said twice
    conversation_id = app.query_params["c"]
    user, reply = portal.messages(conversation_id)
    assert user.content == text
    assert (reply.status, reply.error) == (status, markers[0])
    if status == "incomplete":
        assert shown[1][1] == reply.content == "You said:"  # the two tokens that arrived are kept
    else:
        assert shown[1][1] == ""
    assert button(app, "Regenerate")  # the final state, with its action

    app = send(app, "and now without a fault")
    shown = transcript(app)
    assert shown[2] == ("user", "and now without a fault")
    assert shown[3][1].startswith('You said: "and now without a fault".')
    assert "finish: stop" in stats_line(bubble(app, 3))
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


def test_a_long_conversation_draws_its_newest_turns_first(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser draws elements in the order they arrive, and a chat opens at its end: the newest
    turns are sent first, the older ones after them into a slot above, and the page reads in order."""
    conversation_id = portal.seed("A long one", [f"message {i:03d}" for i in range(120)])
    drawn: list[str] = []
    draw_turn = chat_page.render_turn

    def recording(turn, actions, target=False):  # noqa: ANN001, ANN202
        drawn.append(turn.first.content)
        draw_turn(turn, actions, target=target)

    monkeypatch.setattr(chat_page, "render_turn", recording)
    app = open_app(conversation_id)

    newest = [f"message {i:03d}" for i in range(120 - chat_page.NEWEST_FIRST, 120)]
    older = [f"message {i:03d}" for i in range(80, 120 - chat_page.NEWEST_FIRST)]
    assert drawn == newest + older
    assert [text for _, text in transcript(app)] == older + newest
    assert_no_exception(app)


def _marked(app: AppTest) -> list[int]:
    """The positions of the messages ringed as "the message you opened"."""
    return [i for i, message in enumerate(app.chat_message) if any("portal-target" in h.value for h in message.html)]


def test_a_link_to_an_old_message_shows_it_marked_until_the_next_send(portal: Portal) -> None:
    # The embeddings page links a point from chat history to ?c=<conversation>&m=<message>.
    conversation_id = portal.seed("A long one", [f"message {i:03d}" for i in range(120)])
    target = portal.messages(conversation_id)[10]
    app = open_app(conversation_id, m=str(target.id))

    shown = transcript(app)
    assert shown[0][1] == "message 010" and shown[-1][1] == "message 119"  # loaded back far enough to show it
    assert _marked(app) == [0]
    assert "(the message you opened)" in bubble(app, 0).html[0].value
    assert "m" not in app.query_params  # a reload shows the conversation as usual
    button(app, "Show earlier messages (10 hidden)")  # the earlier ones are still a click away

    send(app, "and now something new")
    assert _marked(app) == []
    assert_no_exception(app)


def test_a_link_to_a_message_that_is_gone_says_so(portal: Portal) -> None:
    conversation_id = portal.seed("Short", ["hello", "hi there"])

    app = open_app(conversation_id, m="999999")

    assert [w.value for w in app.warning] == ["That message is no longer in this conversation; here is the conversation as it is now."]
    assert transcript(app) == [("user", "hello"), ("assistant", "hi there")] and _marked(app) == []


@pytest.mark.parametrize("bad_id", ["no-such-conversation", "6f1c2a0e-0000-4000-8000-000000000000"], ids=["malformed", "unknown"])
def test_unknown_conversation_in_the_url_shows_a_warning(portal: Portal, bad_id: str) -> None:
    portal.seed("Someone's chat", ["hello", "hi"])
    app = open_app(bad_id)
    assert any("does not exist" in w.value for w in app.warning)
    assert page_title(app) == "New chat"
    assert transcript(app) == []
    assert sidebar_conversations(app) == ["Someone's chat"]


# -- the conversation list -------------------------------------------------------------------------


def test_rename_in_place_from_the_row_menu_saves_on_enter(portal: Portal) -> None:
    other = portal.seed("Another chat", ["a", "b"])
    app = send(open_app(), unique("name me"))
    conversation_id = app.query_params["c"]

    app.menu_button(key=f"conv_menu_{other}").click("Rename")
    run(app)
    title = app.text_input(key=f"title_{other}")
    assert title.value == "Another chat"
    title.input("Renamed: *not* italics").run()  # Enter commits the field

    assert not app.exception
    assert "Renamed: *not* italics" in sidebar_conversations(app)  # shown as typed, not as Markdown
    assert {c.id: c.title for c in portal.conversations()}[other] == "Renamed: *not* italics"
    assert not [t for t in app.text_input if (t.key or "").startswith("title_")]  # the row is a row again
    assert app.query_params["c"] == conversation_id  # renaming another chat does not open it
    assert len(transcript(app)) == 2


def test_pinned_conversations_come_first_in_their_own_group(portal: Portal) -> None:
    older = portal.seed("Older chat", ["a", "b"])
    portal.seed("Newer chat", ["c", "d"])
    app = open_app()
    assert sidebar_conversations(app) == ["Newer chat", "Older chat"]

    app.menu_button(key=f"conv_menu_{older}").click("Pin")
    run(app)

    assert sidebar_groups(app) == ["Pinned", "Today"]
    assert sidebar_conversations(app) == ["Older chat", "Newer chat"]
    assert "Unpin" in app.menu_button(key=f"conv_menu_{older}").proto.options


def test_delete_asks_first(portal: Portal) -> None:
    other = portal.seed("Keep me", ["keep", "kept"])
    app = send(open_app(), unique("delete me"))
    conversation_id = app.query_params["c"]

    app.menu_button(key="chat_menu").click("Delete")
    run(app)
    assert any("This cannot be undone" in m.value for m in app.markdown)
    app.button(key="delete_cancel").click().run()
    assert not any("This cannot be undone" in m.value for m in app.markdown)
    assert len(portal.conversations()) == 2  # cancelled: nothing deleted

    app.menu_button(key=f"conv_menu_{conversation_id}").click("Delete")
    run(app)
    app.button(key="delete_confirm").click().run()
    assert not app.exception
    assert "c" not in app.query_params
    assert [c.id for c in portal.conversations()] == [other]
    assert portal.messages(conversation_id) == []
    assert sidebar_conversations(app) == ["Keep me"]
    assert page_title(app) == "New chat"


def test_search_filters_the_list_as_you_type(portal: Portal) -> None:
    portal.seed("Apple pie recipe", ["how long to bake?", "forty minutes"])
    portal.seed("Banana bread", ["it needs ripe kiwi too", "no, it does not"])
    portal.seed("Cherry tart", ["pitting cherries", "use a straw"])
    app = open_app()
    assert sorted(sidebar_conversations(app)) == ["Apple pie recipe", "Banana bread", "Cherry tart"]
    search = app.text_input(key="portal_sidebar_search")
    assert search.proto.live_debounce_ms == 250  # commits after a typing pause, without Enter

    search.input("apple").run()
    assert sidebar_conversations(app) == ["Apple pie recipe"]
    app.text_input(key="portal_sidebar_search").input("KIWI").run()  # message text, any case
    assert sidebar_conversations(app) == ["Banana bread"]
    app.text_input(key="portal_sidebar_search").input("durian").run()
    assert sidebar_conversations(app) == []
    assert any("No conversation matches" in c.value and "durian" in c.value for c in app.sidebar.caption)
    app.text_input(key="portal_sidebar_search").input("").run()
    assert len(sidebar_conversations(app)) == 3


# -- regenerate, edit and branches ------------------------------------------------------------------


def test_regenerate_adds_a_second_reply_and_keeps_the_first(portal: Portal) -> None:
    text = unique("say it again")
    app = send(open_app(), text)
    conversation_id = app.query_params["c"]
    first = transcript(app)[1][1]
    assert first.startswith(f'You said: "{text}".')

    app.number_input(key=f"seed_{conversation_id}").set_value(1).run()  # a different opening next time
    button(app, "Regenerate").click().run()

    assert not app.exception
    shown = transcript(app)
    assert len(shown) == 2 and shown[0] == ("user", text)
    assert shown[1][1].startswith(f'You wrote: "{text}".')
    assert any(h.value.endswith(">2 / 2</span>") for h in bubble(app, 1).html)
    stored = portal.messages(conversation_id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete"), ("assistant", "complete")]
    assert stored[2].params == {"model": "local-chat", "seed": 1}

    button(app, "Previous reply").click().run()
    assert transcript(app)[1][1] == first
    assert any(h.value.endswith(">1 / 2</span>") for h in bubble(app, 1).html)


def test_editing_an_earlier_message_forks_and_both_branches_stay(portal: Portal) -> None:
    app = send(open_app(), unique("first question"))
    conversation_id = app.query_params["c"]
    app = send(app, "second question")
    app = send(app, "third question")
    before = transcript(app)
    assert len(before) == 6
    second = portal.messages(conversation_id)[2]

    app.button(key=f"edit_{second.id}").click().run()
    editor = app.text_area(key=f"edit_text_{second.id}")
    assert editor.value == "second question"
    editor.input("second question,\nbetter")
    button(app, "Send").click().run()

    assert not app.exception
    shown = transcript(app)
    assert [text for _, text in shown[:3]] == [before[0][1], before[1][1], "second question,\nbetter"]
    assert len(shown) == 4 and shown[3][1].startswith('You said: "second question, better".')
    assert any(h.value.endswith(">2 / 2</span>") for h in bubble(app, 2).html)

    button(app, "Previous edit").click().run()
    assert transcript(app) == before
    reloaded = open_app(conversation_id)
    assert transcript(reloaded) == before  # the branch shown is stored
    button(reloaded, "Next edit").click().run()
    assert transcript(reloaded)[2][1] == "second question,\nbetter"
