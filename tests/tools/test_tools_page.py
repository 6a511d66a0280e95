"""The chat page with tools, attachments and response formats, through Streamlit's AppTest: the real
router and page, the real offline server, a real SQLite file per test.

AppTest's chat input takes files (`ChatInput.upload`, Streamlit 1.67), so attachments go through the
page as in the browser. As in tests/chat/test_chat_page.py, each test gets its own PORTAL_DATA_DIR and
fresh Streamlit caches (the `portal_app` fixture, tests/apptest.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.errors import AppTestError

from storage import repository
from storage.records import MessageRecord
from tests.apptest import PortalApp, assert_no_exception, open_app
from tests.chat.page import page_title, stats_line, tool_chips, user_text
from tests.tools.support import FAILING_TOOL, decoded_image, image_bytes, temporary_tool, wav_bytes

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}
KEPT = "The previous response format is kept until the schema is valid."


@dataclass
class Portal:
    data_dir: Path
    sessions: sessionmaker[Session]

    def messages(self, conversation_id: str) -> list[MessageRecord]:
        with self.sessions.begin() as session:
            return repository.list_messages(session, conversation_id)

    def settings(self, conversation_id: str) -> dict[str, Any]:
        with self.sessions.begin() as session:
            return repository.get_conversation(session, conversation_id).settings

    def create(self, title: str, settings: dict[str, Any]) -> str:
        with self.sessions.begin() as session:
            return repository.create_conversation(session, title=title, settings=settings).id


@pytest.fixture
def portal(portal_app: PortalApp) -> Portal:
    """The app's environment (tests/apptest.py), one retry."""
    portal_app.set(PORTAL_MAX_RATE_LIMIT_RETRIES="1")
    return Portal(portal_app.data_dir, portal_app.sessions)


def run(app: AppTest) -> AppTest:
    app.run()
    assert_no_exception(app)
    return app


def send(app: AppTest, text: str, files: list[tuple[str, bytes, str]] = ()) -> AppTest:
    chat_input = app.chat_input[0]
    for name, data, mime in files:
        chat_input.upload(name, data, mime)
    chat_input.set_value(text)
    return run(app)


def scope(app: AppTest) -> str:
    return app.query_params.get("c") or "draft"


def bubbles(app: AppTest) -> list[Any]:
    return list(app.chat_message)


def texts(bubble: Any) -> list[str]:
    return [md.value for md in bubble.markdown]


def captions(bubble: Any) -> list[str]:
    return [c.value for c in bubble.caption]


def tool_blocks(app: AppTest) -> list[tuple[str, str, list[str], list[str]]]:
    """(label, icon, code blocks, captions) of every tool chip in the chat."""
    return [chip for bubble in bubbles(app) for chip in tool_chips(bubble)]


def switch_tools_on(app: AppTest, *names: str) -> AppTest:
    app.multiselect(key=f"tools_{scope(app)}").set_value(list(names))
    return run(app)


# -- tools ------------------------------------------------------------------------------------------------


def test_the_calculator_switched_on_in_the_sidebar_is_called_shown_and_answered(portal: Portal) -> None:
    app = switch_tools_on(open_app(), "calculator")
    app = send(app, "what is 12*7?")

    conversation_id = app.query_params["c"]
    user, turn = bubbles(app)  # one tool turn is one message
    assert (user.name, user_text(user)) == ("user", "what is 12*7?")
    [(label, icon, codes, labels)] = tool_blocks(app)
    assert label.startswith("calculator · ") and label.endswith(" ms")
    assert icon == ":material/build:"
    assert codes == ['{"expression": "12*7"}', '{"expression": "12*7", "result": 84}']
    assert labels == ["Arguments", "Result"]
    assert texts(turn) == ["Based on the tool results: calculator returned 84."]
    line = stats_line(turn)  # one line for the turn, summed over its two model calls
    assert "2 model calls" in line and line.endswith("finish: stop")
    calls = [m for m in portal.messages(app.query_params["c"]) if m.role == "assistant"]
    assert f"{sum(m.completion_tokens for m in calls)} completion tokens" in line

    assert portal.settings(conversation_id)["tools"] == ["calculator"]  # the draft's choice went with the new chat
    assert app.multiselect(key=f"tools_{conversation_id}").value == ["calculator"]
    assert [m.role for m in portal.messages(conversation_id)] == ["user", "assistant", "tool", "assistant"]


def test_a_tool_turn_is_shown_again_after_a_reload_and_the_conversation_goes_on(portal: Portal) -> None:
    first = send(switch_tools_on(open_app(), "calculator", "current_time"), "what is 12*7 and what time is it in Europe/Paris?")
    conversation_id = first.query_params["c"]
    shown_live = tool_blocks(first)

    app = open_app(conversation_id)  # a new session: everything comes from the database
    blocks = tool_blocks(app)
    assert [(label.split(" · ")[0], codes[:1]) for label, _, codes, _ in blocks] == [
        (label.split(" · ")[0], codes[:1]) for label, _, codes, _ in shown_live
    ]
    assert [(label.split(" · ")[0], codes[0]) for label, _, codes, _ in blocks] == [
        ("calculator", '{"expression": "12*7"}'),
        ("current_time", '{"timezone": "Europe/Paris"}'),
    ]
    assert json.loads(blocks[0][2][1]) == {"expression": "12*7", "result": 84}
    assert json.loads(blocks[1][2][1])["timezone"] == "Europe/Paris"
    assert texts(bubbles(app)[-1])[0].startswith("Based on the tool results: calculator returned 84; current_time returned {")

    app = send(app, "thanks, that is all for now")
    reply = texts(bubbles(app)[-1])[0]
    assert reply.startswith('You said: "thanks, that is all for now". This conversation has 2 user messages and 2 earlier replies.')
    assert [m.role for m in portal.messages(conversation_id)] == ["user", "assistant", "tool", "tool", "assistant", "user", "assistant"]


def test_a_failing_tool_shows_an_error_block_and_the_page_goes_on(portal: Portal) -> None:
    with temporary_tool(*FAILING_TOOL):
        app = send(switch_tools_on(open_app(), "flaky_weather"), "what is the weather forecast in Paris?")
        [(label, icon, codes, labels)] = tool_blocks(app)
    error = "flaky_weather failed: the weather service for Paris is unreachable"
    assert label.startswith("flaky_weather · ") and codes[0] == '{"city": "Paris"}'
    assert icon == ":material/error:"
    assert labels == ["Arguments", "Error returned to the model"]
    assert json.loads(codes[1]) == {"error": error}
    assert texts(bubbles(app)[-1]) == [f"Based on the tool results: flaky_weather failed: {error}."]


# -- attachments ----------------------------------------------------------------------------------------------


def test_an_image_attached_in_the_chat_input_reaches_the_model_and_stays_in_the_history(portal: Portal) -> None:
    app = open_app()
    app.selectbox(key="detail_draft").set_value("low")
    app = send(run(app), "what is in this picture?", [("red.png", image_bytes((2, 3)), "image/png")])

    conversation_id = app.query_params["c"]
    assert [t.value for t in app.toast] == ["Attached red.png, 2x3"]
    user, reply = bubbles(app)
    [image] = user.get("image")
    assert image.captions == ["red.png"]
    assert decoded_image(image.value[0]).size == (2, 3)
    assert "You attached a 2x3 PNG image, mostly red, detail low." in texts(reply)[0]
    [stored] = portal.messages(conversation_id)[0].parts["attachments"]
    assert (stored["name"], stored["image_url"]["detail"]) == ("red.png", "low")

    reloaded = open_app(conversation_id)
    [image] = bubbles(reloaded)[0].get("image")
    assert image.captions == ["red.png"] and decoded_image(image.value[0]).size == (2, 3)


def test_a_large_image_is_downscaled_before_it_is_sent(portal: Portal) -> None:
    app = send(open_app(), "", [("holiday.jpg", image_bytes((4000, 3000), (40, 80, 200), "JPEG"), "image/jpeg")])
    assert [t.value for t in app.toast] == ["Attached holiday.jpg, 1568x1176 (downscaled from 4000x3000)"]
    assert "You attached a 1568x1176 JPEG image, mostly blue, detail auto." in texts(bubbles(app)[-1])[0]
    assert page_title(app) == "holiday.jpg"


def test_a_file_that_is_not_what_it_claims_is_refused_and_the_text_still_goes(portal: Portal) -> None:
    files = [("notes.png", b"my notes, not a picture", "image/png"), ("fake.wav", b"not audio either", "audio/wav")]
    app = send(open_app(), "see my files", files)

    # Still on screen after the rerun that follows the reply (components/notices.py).
    assert [e.value for e in app.error] == [
        "Not attached: notes.png is not a readable image (PNG, JPEG, GIF or WebP). Your text was sent without it.",
        "Not attached: fake.wav is not a WAV file. Your text was sent without it.",
    ]
    user, reply = portal.messages(app.query_params["c"])
    assert (user.content, user.parts) == ("see my files", None)
    assert reply.content.startswith('You said: "see my files". This conversation has 1 user message')
    assert "You attached" not in reply.content


def test_an_audio_clip_alone_is_sent_and_listed(portal: Portal) -> None:
    app = send(open_app(), "", [("hello.wav", wav_bytes(0.5), "audio/wav")])
    user, reply = bubbles(app)
    assert captions(user) == [":material/audio_file: hello.wav"]
    assert "You attached a 0.5 second wav audio clip." in texts(reply)[0]


def test_the_chat_input_accepts_only_images_and_audio(portal: Portal) -> None:
    chat_input = open_app().chat_input[0]
    assert sorted(chat_input.proto.file_type) == sorted([".png", ".jpg", ".jpeg", ".gif", ".webp", ".wav", ".mp3"])
    with pytest.raises(AppTestError):
        chat_input.upload("notes.txt", b"hello", "text/plain")


# -- response formats --------------------------------------------------------------------------------------------------


def choose_schema(app: AppTest, schema_text: str) -> AppTest:
    app.radio(key=f"format_{scope(app)}").set_value("json_schema")
    app = run(app)
    app.text_area(key=f"schema_{scope(app)}").set_value(schema_text)
    return run(app)


def test_a_valid_schema_reply_is_shown_formatted_and_checked(portal: Portal) -> None:
    app = choose_schema(open_app(), json.dumps(SCHEMA))
    assert not app.error
    app = send(app, "Tell me about Paris, home to 2100000 people")

    reply = bubbles(app)[-1]
    assert [c.value for c in reply.code] == [json.dumps({"city": "Paris", "population": 2100000}, indent=2)]
    assert ":material/check_circle: matches the schema" in captions(reply)
    assert texts(reply) == []  # shown as code, not as markdown
    conversation_id = app.query_params["c"]
    stored = portal.messages(conversation_id)[-1]
    assert stored.params["response_format"]["json_schema"]["schema"] == SCHEMA
    assert portal.settings(conversation_id)["response_format"]["type"] == "json_schema"
    reloaded = bubbles(open_app(conversation_id))[-1]
    assert ":material/check_circle: matches the schema" in captions(reloaded)


@pytest.mark.parametrize(
    ("schema_text", "message"),
    [
        ('{"type": "objekt"}', "The schema is not a valid JSON Schema: 'objekt' is not valid under any of the given schemas."),
        ('{"type": "object", "properties": ', "The schema is not valid JSON: Expecting value at line 1, column 34."),
    ],
    ids=["not-a-schema", "not-json"],
)
def test_an_invalid_schema_is_refused_in_the_settings_and_the_previous_format_is_used(
    portal: Portal, schema_text: str, message: str
) -> None:
    conversation_id = portal.create("json chat", {"response_format": {"type": "json_object"}})
    app = choose_schema(open_app(conversation_id), schema_text)

    assert [e.value for e in app.error] == [f"{message} {KEPT}"]
    assert portal.settings(conversation_id)["response_format"] == {"type": "json_object"}  # not replaced
    app = send(app, "hello there")
    reply = portal.messages(conversation_id)[-1]
    assert reply.params["response_format"] == {"type": "json_object"}  # the broken schema was never sent
    assert set(json.loads(reply.content)) == {"reply", "words"}
    shown = bubbles(app)[-1]
    assert json.loads(shown.code[0].value) == json.loads(reply.content)
    assert not any("matches the schema" in c for c in captions(shown))


def test_choosing_json_schema_without_pasting_one_keeps_the_previous_format(portal: Portal) -> None:
    conversation_id = portal.create("json chat", {"response_format": {"type": "json_object"}})
    app = open_app(conversation_id)
    app.radio(key=f"format_{conversation_id}").set_value("json_schema")
    app = run(app)
    box = app.text_area(key=f"schema_{conversation_id}")
    assert box.value == "" and json.loads(box.placeholder)["type"] == "object"  # the example is only a placeholder
    assert [i.value for i in app.info] == [
        "Paste a JSON schema (the grey text is an example). The previous response format is kept until then."
    ]
    assert portal.settings(conversation_id)["response_format"] == {"type": "json_object"}


def test_an_invalid_schema_in_a_new_chat_sends_plain_text(portal: Portal) -> None:
    app = choose_schema(open_app(), "{not json")
    assert app.error[0].value.startswith("The schema is not valid JSON: ")
    app = send(app, "hello there")
    reply = portal.messages(app.query_params["c"])[-1]
    assert "response_format" not in (reply.params or {})
    assert texts(bubbles(app)[-1])[0].startswith('You said: "hello there".')


def test_a_json_object_reply_is_shown_formatted(portal: Portal) -> None:
    app = open_app()
    app.radio(key="format_draft").set_value("json_object")
    app = send(run(app), "give me json please")
    reply = bubbles(app)[-1]
    parsed = json.loads(portal.messages(app.query_params["c"])[-1].content)
    assert [c.value for c in reply.code] == [json.dumps(parsed, indent=2)]
    assert parsed["words"] == 4
    assert not any("schema" in c for c in captions(reply))
