"""The Responses API wire through the chat service, on SQLite and PostgreSQL: stored responses continued
with `previous_response_id` (and the full history when the stored one is gone), the tool loop with
`call_id`s, reasoning summaries in the Thinking text, statuses mapped to the app's, and models that
answer only on the Responses API found out and remembered.
"""

from __future__ import annotations

import json

import pytest

from localserver import RunningServer
from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.inference import WIRE_CHAT_COMPLETIONS, WIRE_RESPONSES, make_backend
from portal.reply_stream import COMPLETE, ERROR
from portal.settings import build_connection
from tests.chat.support import ChatDatabase, unique


def responses_service(chat_db: ChatDatabase, server: RunningServer, **raw) -> ChatService:
    connection = build_connection("responses", {"endpoint": server.url + "/openai/v1", "auth": "none", "chat_model": "local-chat", **raw})
    return ChatService(chat_db.sessions, make_backend(connection))


def reply(service: ChatService, conversation_id: str | None, text: str, settings: ChatSettings = ChatSettings()):
    user = service.add_user_message(conversation_id, text, settings)
    prepared = service.prepare_reply(user.conversation_id, settings)
    "".join(prepared.stream)
    return user.conversation_id, prepared


def stored_responses(server: RunningServer) -> dict[str, dict]:
    return {rid: stored.response for rid, stored in server.state.responses.items()}


def test_stored_responses_are_continued_with_previous_response_id(chat_db: ChatDatabase, local_server: RunningServer):
    service = responses_service(chat_db, local_server, wire="responses", store=True)
    cid, first = reply(service, None, unique("remember KIWI"))
    first_row = chat_db.message(first.assistant_message_id)
    first_id = first_row.parts["response_id"]
    assert first_id in stored_responses(local_server)

    _, second = reply(service, cid, "and now?")
    second_id = chat_db.message(second.assistant_message_id).parts["response_id"]
    assert stored_responses(local_server)[second_id]["previous_response_id"] == first_id
    # The server saw the earlier turn through the stored response, not through resent history.
    assert "This conversation has 2 user messages and 1 earlier reply." in second.stream.outcome.content
    assert [item["content"][0]["text"] for item in local_server.state.responses[second_id].input_items] == ["and now?"]


def test_a_stored_response_that_is_gone_falls_back_to_the_full_history(chat_db: ChatDatabase, local_server: RunningServer):
    service = responses_service(chat_db, local_server, wire="responses", store=True)
    cid, first = reply(service, None, unique("remember FIG"))
    gone = chat_db.message(first.assistant_message_id).parts["response_id"]
    del local_server.state.responses[gone]  # expired after 30 days, or deleted on the service
    refused_before = local_server.state.count("responses", 404)

    _, second = reply(service, cid, "still there?")
    assert second.stream.outcome.status == COMPLETE
    assert local_server.state.count("responses", 404) == refused_before + 1  # tried, then resent everything
    second_id = chat_db.message(second.assistant_message_id).parts["response_id"]
    assert stored_responses(local_server)[second_id]["previous_response_id"] is None
    assert "This conversation has 2 user messages and 1 earlier reply." in second.stream.outcome.content
    assert len(local_server.state.responses[second_id].input_items) == 3  # user, assistant, user


def test_without_store_the_history_is_sent_and_nothing_is_kept(chat_db: ChatDatabase, local_server: RunningServer):
    service = responses_service(chat_db, local_server, wire="responses")
    before = len(local_server.state.responses)
    cid, _ = reply(service, None, unique("hello"))
    _, second = reply(service, cid, "again")
    assert len(local_server.state.responses) == before
    assert "2 user messages and 1 earlier reply" in second.stream.outcome.content
    assert "response_id" not in (chat_db.message(second.assistant_message_id).parts or {})


def test_the_tool_loop_on_the_responses_api(chat_db: ChatDatabase, local_server: RunningServer):
    service = responses_service(chat_db, local_server, wire="responses", store=True)
    settings = ChatSettings(tools=("calculator",))
    user = service.add_user_message(None, unique("what is 12*7?"), settings)
    steps = list(_run_turn(service, user.conversation_id, settings))
    rows = chat_db.messages(user.conversation_id)
    assert [r.role for r in rows] == ["user", "assistant", "tool", "assistant"]
    call = rows[1].parts["tool_calls"][0]
    assert call["name"] == "calculator" and call["id"].startswith("call_") and json.loads(call["arguments"]) == {"expression": "12*7"}
    assert json.loads(rows[2].content)["result"] == 84 and rows[2].parts["tool_call_id"] == call["id"]
    assert "calculator returned 84" in rows[3].content and rows[3].finish_reason == "stop"
    assert rows[1].finish_reason == "tool_calls"
    answer_id = rows[3].parts["response_id"]
    assert stored_responses(local_server)[answer_id]["previous_response_id"] == rows[1].parts["response_id"]
    assert steps


def _run_turn(service: ChatService, conversation_id: str, settings: ChatSettings):
    for step in service.turn(conversation_id, settings):
        if hasattr(step, "stream"):
            "".join(step.stream)
        yield step


def test_reasoning_summaries_are_the_thinking(chat_db: ChatDatabase, local_server: RunningServer):
    service = responses_service(chat_db, local_server, wire="responses")
    _, prepared = reply(service, None, unique("What is 6*7?"), ChatSettings(model="local-reasoner", reasoning_effort="low", reasoning_summary="detailed"))
    row = chat_db.message(prepared.assistant_message_id)
    assert row.parts["reasoning"].startswith("**Understanding the question**")
    assert "\n\n**Working it out**" in row.parts["reasoning"]  # summary parts are paragraphs
    assert row.parts["reasoning_tokens"] == 16 and "Understanding" not in row.content


@pytest.mark.parametrize(("directive", "status", "finish"), [("/long 200", COMPLETE, "length"), ("/fault failed", ERROR, None)])
def test_incomplete_and_failed_map_to_the_apps_statuses(chat_db: ChatDatabase, local_server: RunningServer, directive, status, finish):
    service = responses_service(chat_db, local_server, wire="responses")
    _, prepared = reply(service, None, unique(f"go {directive}"), ChatSettings(max_tokens=16))
    row = chat_db.message(prepared.assistant_message_id)
    assert (row.status, row.finish_reason) == (status, finish)
    if status == ERROR:
        assert "Details: the response failed: " in row.error and row.content  # what arrived is kept


def test_a_model_that_answers_only_on_responses_is_found_out_and_remembered(chat_db: ChatDatabase, local_server: RunningServer):
    # "team-pro": the local server treats it as Responses-only; the portal cannot tell from the name.
    service = responses_service(chat_db, local_server, chat_model="team-pro")
    backend = service._backend
    assert backend.wire_for("team-pro") == WIRE_CHAT_COMPLETIONS
    refused_before = local_server.state.count("chat", 400)
    _, prepared = reply(service, None, unique("hello pro"))
    assert prepared.stream.outcome.status == COMPLETE and prepared.stream.outcome.model == "local-codex"
    assert local_server.state.count("chat", 400) == refused_before + 1
    assert backend.wire_for("team-pro") == WIRE_RESPONSES
    reply(service, None, unique("hello again"))
    assert local_server.state.count("chat", 400) == refused_before + 1  # straight to the Responses API now


def test_configured_responses_models_and_known_families_go_there_directly(local_server: RunningServer):
    connection = build_connection(
        "mixed", {"endpoint": local_server.url + "/openai/v1", "auth": "none", "chat_model": "local-chat", "responses_models": ["deep-thinker"]}
    )
    backend = make_backend(connection)
    assert backend.wire_for("local-chat") == WIRE_CHAT_COMPLETIONS
    assert backend.wire_for("deep-thinker") == WIRE_RESPONSES
    assert backend.wire_for("gpt-5-codex") == WIRE_RESPONSES and backend.wire_for("o3-deep-research") == WIRE_RESPONSES
