"""Compare mode on the chat page through AppTest: the real router, the offline server, a real SQLite file."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from portal.chat_settings import ChatSettings
from portal.compare import COMPARE, CompareSetup, Target
from portal.settings import OFFLINE_CONNECTION
from storage import repository
from storage.records import MessageRecord
from tests.apptest import PortalApp, assert_no_exception
from tests.chat.page import button, transcript, walk
from tests.chat.support import unique

TARGETS = (
    Target(OFFLINE_CONNECTION, temperature=0.2),
    Target(OFFLINE_CONNECTION, temperature=1.0),
    Target(OFFLINE_CONNECTION, system_prompt="You fail. /fault 500"),
)


def seed(sessions: sessionmaker[Session], setup: CompareSetup) -> str:
    with sessions.begin() as session:
        conversation = repository.create_conversation(session, title="Compare", settings=ChatSettings(compare=setup.to_dict()).to_dict())
    return conversation.id


def messages(sessions: sessionmaker[Session], conversation_id: str) -> list[MessageRecord]:
    with sessions.begin() as session:
        return repository.list_messages(session, conversation_id)


def column_texts(app) -> list[list[str]]:
    """Per compare column (containers keyed compare_col_N): its markdown, captions and alerts."""
    columns = []
    for index in range(4):
        found = [n for n in walk(app._tree) if getattr(n, "key", None) == f"compare_col_{index}"]
        if not found:
            break
        columns.append([getattr(n, "value", "") for n in walk(found[0]) if getattr(n, "type", None) in ("markdown", "caption", "alert", "error")])
    return columns


def test_a_compare_round_on_the_page(portal_app: PortalApp):
    portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="0")
    conversation_id = seed(portal_app.sessions, CompareSetup(True, TARGETS))
    app = portal_app.open(conversation_id)
    assert any("each message goes to 3 targets" in c.value for c in app.caption)

    question = unique("which is best?")
    app.chat_input[0].set_value(question).run()
    assert_no_exception(app)

    stored = messages(portal_app.sessions, conversation_id)
    user = next(m for m in stored if m.role == "user")
    replies = sorted((m for m in stored if m.role == "assistant"), key=lambda m: m.params[COMPARE]["target"])
    assert len(replies) == 3 and all(m.parent_id == user.id for m in replies)
    assert [m.status for m in replies] == ["complete", "complete", "error"]
    assert user.parts[COMPARE]["picked"] is None

    # Three columns drawn from storage: two answers with their stats, one error, each with "Continue with this".
    columns = column_texts(app)
    assert len(columns) == 3, columns
    assert any("local-chat · T 0.2" in text for text in columns[0]) and any("local-chat · T 1" in text for text in columns[1])
    assert any("finish: stop" in text for text in columns[0]) and any("finish: stop" in text for text in columns[1])
    assert any("500" in text for text in columns[2])
    assert len([b for b in app.button if b.label == "Continue with this"]) == 3
    assert app.get("plotly_chart") and app.dataframe  # the round's chart and the running figures

    # Continue with the second: the page shows the usual turn, the others one click away.
    next(b for b in app.button if b.key == f"compare_pick_{replies[1].id}").click().run()
    assert_no_exception(app)
    assert column_texts(app) == []
    assert transcript(app)[-1][1] == replies[1].content
    assert any("2 / 3" in h.value for h in app.get("html"))
    assert messages(portal_app.sessions, conversation_id)[0].parts[COMPARE]["picked"] == replies[1].id

    # A new session (a reload) shows the same.
    again = portal_app.open(conversation_id)
    assert transcript(again)[-1][1] == replies[1].content
    assert button(again, "Previous reply") is not None


def test_compare_mode_off_answers_once(portal_app: PortalApp):
    conversation_id = seed(portal_app.sessions, CompareSetup(False, TARGETS))
    app = portal_app.open(conversation_id)
    app.chat_input[0].set_value(unique("just one")).run()
    assert_no_exception(app)
    assert len([m for m in messages(portal_app.sessions, conversation_id) if m.role == "assistant"]) == 1
    assert column_texts(app) == []


def test_target_labels_are_shown_as_typed(portal_app: PortalApp):
    """A model name is user text: Markdown and HTML in it show as typed, in the column, chart and table."""
    portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="0")
    odd = "<b>bold</b> **x** [l](http://a)"
    conversation_id = seed(portal_app.sessions, CompareSetup(True, (Target(OFFLINE_CONNECTION), Target(OFFLINE_CONNECTION, model=odd))))
    app = portal_app.open(conversation_id)
    app.chat_input[0].set_value(unique("hello")).run()
    assert_no_exception(app)
    second = column_texts(app)[1]
    assert r"**2\. \<b\>bold\</b\> \*\*x\*\* \[l\](http\://a)**" in second
    chart = app.get("plotly_chart")[0].proto.spec
    assert "2. &lt;b&gt;bold&lt;" in chart and "<b>" not in chart
