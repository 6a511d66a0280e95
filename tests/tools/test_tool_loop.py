"""The tool loop against the local server: `ChatService.turn` streamed as the page streams it, and the
non-streamed `AzureInferenceBackend.complete_chat`, over the real SDK and HTTP, on SQLite and PostgreSQL.

What went to the server is read from the request bodies as the SDK sent them (`wire`); what the model
made of them shows in its reply (`local-chat` names each tool result by the call id it answers).
"""

from __future__ import annotations

import json

import pytest

from localserver import RunningServer
from portal.chat_service import MAX_TOOL_STEPS, ChatService, to_chat_message
from portal.chat_settings import ChatSettings
from portal.inference import ChatMessage, ChatOptions, ToolCall
from portal.inference.azure_backend import AzureInferenceBackend
from portal.tools import REGISTRY, ToolContext, run_tool_call
from storage import repository
from tests.chat.support import ChatDatabase
from tests.tools.support import (
    FAILING_TOOL,
    STEP_TOOL,
    STRICT_TOOL,
    ToolHungryModel,
    Wire,
    ask,
    temporary_tool,
    wired_backend,
)

CALCULATOR = ChatSettings(tools=("calculator",))
ALL_BUILTIN = ChatSettings(tools=("calculator", "current_time", "search_conversations"))


def roles(db: ChatDatabase, conversation_id: str) -> list[str]:
    return [m.role for m in db.messages(conversation_id)]


# -- one call, streamed -------------------------------------------------------------------------------------


def test_a_tool_call_is_streamed_run_saved_and_answered(
    service: ChatService, chat_db: ChatDatabase, wire: Wire, local_server: RunningServer
) -> None:
    before = len(local_server.state.requests)
    conversation_id, turn = ask(service, "what is 12*7?", CALCULATOR)
    served = list(local_server.state.requests)[before:]
    assert [(r.operation, r.status, r.stream, r.model) for r in served] == [("chat", 200, True, "local-chat")] * 2

    assert turn.order == ["reply", "tools", "reply"]
    assert turn.replies == ["", "Based on the tool results: calculator returned 84."]
    first, last = turn.outcomes
    assert (first.status, first.finish_reason) == ("complete", "tool_calls")
    assert [(c.name, json.loads(c.arguments)) for c in first.tool_calls] == [("calculator", {"expression": "12*7"})]
    assert (last.status, last.finish_reason, last.tool_calls) == ("complete", "stop", ())
    [result] = turn.results
    assert result.ok and json.loads(result.content) == {"expression": "12*7", "result": 84}

    # Stored: the assistant tool-call message, the tool message answering it, the answer.
    user, calling, tool_message, answer = chat_db.messages(conversation_id)
    assert (user.role, calling.role, tool_message.role, answer.role) == ("user", "assistant", "tool", "assistant")
    assert (calling.status, calling.finish_reason, calling.content) == ("complete", "tool_calls", "")
    [stored_call] = calling.parts["tool_calls"]
    assert stored_call["id"].startswith("call_")
    assert (stored_call["name"], json.loads(stored_call["arguments"])) == ("calculator", {"expression": "12*7"})
    assert tool_message.parts["tool_call_id"] == stored_call["id"]
    assert (tool_message.parts["name"], tool_message.parts["ok"]) == ("calculator", True)
    assert tool_message.parts["arguments"] == stored_call["arguments"]
    assert tool_message.parts["duration_ms"] >= 0
    assert json.loads(tool_message.content) == {"expression": "12*7", "result": 84}
    assert (answer.status, answer.finish_reason, answer.content) == ("complete", "stop", turn.final_text)

    # On the wire: both requests streamed; the tools offered; the second carries the call and its result.
    assert [body["stream"] for body in wire.bodies] == [True, True]
    assert wire.tool_names(0) == wire.tool_names(1) == ["calculator"]
    assert wire.bodies[0]["tool_choice"] == "auto"
    sent = wire.bodies[1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["tool_calls"] == [
        {"id": stored_call["id"], "type": "function", "function": {"name": "calculator", "arguments": stored_call["arguments"]}}
    ]
    assert sent[3] == {"role": "tool", "content": tool_message.content, "tool_call_id": stored_call["id"]}


def test_without_tools_switched_on_no_tools_are_offered(service: ChatService, wire: Wire) -> None:
    _, turn = ask(service, "what is 12*7?", ChatSettings())
    assert turn.order == ["reply"]
    assert "By my arithmetic `12*7` = 84." in turn.final_text
    assert "tools" not in wire.last and "tool_choice" not in wire.last


# -- two calls in one reply ------------------------------------------------------------------------------------


def test_two_tool_calls_in_one_reply_are_assembled_by_index_and_answered_together(
    service: ChatService, chat_db: ChatDatabase, wire: Wire
) -> None:
    conversation_id, turn = ask(service, "what is 12*7 and what time is it in Europe/Paris?", ALL_BUILTIN)

    calls = turn.outcomes[0].tool_calls
    assert [c.name for c in calls] == ["calculator", "current_time"]
    assert [json.loads(c.arguments) for c in calls] == [{"expression": "12*7"}, {"timezone": "Europe/Paris"}]
    assert len({c.id for c in calls}) == 2
    calculator, clock = turn.results
    assert json.loads(calculator.content)["result"] == 84
    assert json.loads(clock.content)["timezone"] == "Europe/Paris"
    assert turn.final_text.startswith("Based on the tool results: calculator returned 84; current_time returned {")

    stored = chat_db.messages(conversation_id)
    assert [m.role for m in stored] == ["user", "assistant", "tool", "tool", "assistant"]
    assert [c["id"] for c in stored[1].parts["tool_calls"]] == [c.id for c in calls]
    assert [m.parts["tool_call_id"] for m in stored[2:4]] == [c.id for c in calls]  # in the order of the calls
    sent = wire.last["messages"]
    assert [m.get("tool_call_id") for m in sent if m["role"] == "tool"] == [c.id for c in calls]
    assert [c["function"]["name"] for c in sent[2]["tool_calls"]] == ["calculator", "current_time"]


def test_search_conversations_searches_the_users_own_chats_word_by_word(service: ChatService, chat_db: ChatDatabase) -> None:
    earlier, _ = ask(service, "giraffes are tall", ChatSettings())
    ask(ChatService(chat_db.sessions, service._backend, owner="someone-else"), "giraffes of another user", ChatSettings())
    unrelated, _ = ask(service, "zebras are striped", ChatSettings())

    current, turn = ask(service, "search 5 of my saved conversations for giraffes", ALL_BUILTIN)
    [result] = turn.results
    assert result.name == "search_conversations" and result.ok
    assert json.loads(result.arguments) == {"query": "search 5 saved conversations giraffes", "limit": 5}
    matches = json.loads(result.content)["matches"]
    # The earlier chat first; the one asked from (it holds the question itself) last; nobody else's chats.
    assert [(m["id"], m["matched_words"]) for m in matches] == [
        (earlier, ["giraffes"]),
        (current, ["search", "saved", "conversations", "giraffes"]),
    ]
    assert matches[0]["title"] == "giraffes are tall"
    assert turn.final_text.startswith("Based on the tool results: search_conversations returned {")
    assert unrelated not in [m["id"] for m in matches]


# -- failures go back to the model -----------------------------------------------------------------------------


def test_a_failing_tool_is_reported_to_the_model_which_answers(service: ChatService, chat_db: ChatDatabase, wire: Wire) -> None:
    with temporary_tool(*FAILING_TOOL):
        conversation_id, turn = ask(service, "what is the weather forecast in Paris?", ChatSettings(tools=("flaky_weather",)))
    error = "flaky_weather failed: the weather service for Paris is unreachable"
    [result] = turn.results
    assert (result.ok, json.loads(result.content)) == (False, {"error": error})
    assert turn.final_text == f"Based on the tool results: flaky_weather failed: {error}."
    assert [o.status for o in turn.outcomes] == ["complete", "complete"]
    tool_message = chat_db.messages(conversation_id)[2]
    assert (tool_message.role, tool_message.parts["ok"], json.loads(tool_message.content)) == ("tool", False, {"error": error})
    assert wire.last["messages"][-1]["content"] == json.dumps({"error": error})


def test_arguments_that_break_the_schema_are_refused_and_the_model_is_told(service: ChatService, chat_db: ChatDatabase) -> None:
    with temporary_tool(*STRICT_TOOL):
        conversation_id, turn = ask(service, "look up the postcode of Springfield", ChatSettings(tools=("postcode_lookup",)))
    [result] = turn.results
    assert json.loads(result.arguments) == {"postcode": "Springfield"}  # what the model sent
    error = "invalid arguments: 'Springfield' does not match '^[0-9]{5}$'"
    assert (result.ok, json.loads(result.content)) == (False, {"error": error})
    assert turn.final_text == f"Based on the tool results: postcode_lookup failed: {error}."
    assert chat_db.messages(conversation_id)[2].parts["ok"] is False


def test_arguments_that_are_not_json_are_refused_and_the_model_answers(
    service: ChatService, chat_db: ChatDatabase, wire: Wire
) -> None:
    """A model that sends broken JSON: the call is stored as it came, refused, and the loop goes on."""
    user = service.add_user_message(None, "what is 2+2?", CALCULATOR)
    conversation_id = user.conversation_id
    broken = ToolCall(id="call_broken", name="calculator", arguments='{"expression": "2+2"')
    with chat_db.sessions.begin() as session:
        repository.add_message(
            session, conversation_id, role="assistant", content="", status="complete",
            parts={"tool_calls": [broken.__dict__]},
        )
    [result] = service.run_tools(conversation_id, (broken,))
    error = "the arguments are not valid JSON (Expecting ',' delimiter); send a JSON object"
    assert (result.ok, json.loads(result.content)) == (False, {"error": error})

    prepared = service.prepare_reply(conversation_id, CALCULATOR)
    text = "".join(prepared.stream)
    assert text == f"Based on the tool results: calculator failed: {error}."
    assert wire.last["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"expression": "2+2"'  # sent back as stored
    assert roles(chat_db, conversation_id) == ["user", "assistant", "tool", "assistant"]


# -- the step cap ------------------------------------------------------------------------------------------------


def test_after_max_tool_steps_the_request_goes_without_tools_and_the_turn_ends_in_text(
    chat_db: ChatDatabase, local_server: RunningServer
) -> None:
    wire = Wire()
    backend = wired_backend(local_server.url, wire, ToolHungryModel)
    service = ChatService(chat_db.sessions, backend)
    try:
        with temporary_tool(*STEP_TOOL):
            conversation_id, turn = ask(service, "take the next step of the task", ChatSettings(tools=("next_step",)))
    finally:
        backend.close()

    assert turn.order == ["reply", "tools"] * MAX_TOOL_STEPS + ["reply"]
    assert [len(o.tool_calls) for o in turn.outcomes] == [1] * MAX_TOOL_STEPS + [0]
    assert len(wire.bodies) == MAX_TOOL_STEPS + 1
    assert [wire.tool_names(i) for i in range(MAX_TOOL_STEPS)] == [["next_step"]] * MAX_TOOL_STEPS
    assert "tools" not in wire.last and "tool_choice" not in wire.last  # the last request must be answered in text
    assert turn.outcomes[-1].finish_reason == "stop"
    assert turn.final_text.startswith("Based on the tool results: next_step returned {")
    stored = chat_db.messages(conversation_id)
    assert [m.role for m in stored] == ["user"] + ["assistant", "tool"] * MAX_TOOL_STEPS + ["assistant"]
    assert stored[-1].content == turn.final_text and stored[-1].status == "complete"


# -- persistence, reload, the next message ---------------------------------------------------------------------------


def test_a_tool_turn_reloads_and_the_next_message_sends_it_back(service: ChatService, chat_db: ChatDatabase, wire: Wire) -> None:
    conversation_id, _ = ask(service, "what is 12*7 and what time is it in Europe/Paris?", ALL_BUILTIN)
    stored = chat_db.messages(conversation_id)

    # A reload: another engine (its own connections) reads the same rows back as model messages.
    reloaded = [to_chat_message(m) for m in chat_db.messages(conversation_id, chat_db.other_sessions())]
    calling = reloaded[1]
    assert [(c.name, c.id) for c in calling.tool_calls] == [(c["name"], c["id"]) for c in stored[1].parts["tool_calls"]]
    assert [m.tool_call_id for m in reloaded[2:4]] == [c.id for c in calling.tool_calls]

    # The next user message in the same conversation (on a fresh service) sends the whole tool turn back.
    fresh = ChatService(chat_db.other_sessions(), service._backend)
    _, turn = ask(fresh, "thanks, that is all for now", ALL_BUILTIN, conversation_id)
    assert turn.order == ["reply"]
    assert turn.final_text.startswith('You said: "thanks, that is all for now". This conversation has 2 user messages and 2 earlier replies.')
    sent = wire.last["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "assistant", "user"]
    assert [c["id"] for c in sent[2]["tool_calls"]] == [c.id for c in calling.tool_calls]
    assert sent[2].get("content") in (None, "")
    assert [(m["tool_call_id"], m["content"]) for m in sent[3:5]] == [(m.parts["tool_call_id"], m.content) for m in stored[2:4]]
    assert sent[5]["content"] == stored[4].content
    assert roles(chat_db, conversation_id) == ["user", "assistant", "tool", "tool", "assistant", "user", "assistant"]

    # And a new tool call later in the conversation is answered from its own results only.
    _, turn = ask(fresh, "what is 6*7?", CALCULATOR, conversation_id)
    assert turn.final_text == "Based on the tool results: calculator returned 42."


# -- the non-streamed backend path ------------------------------------------------------------------------------------------


@pytest.fixture
def plain_backend(local_server: RunningServer, wire: Wire):
    backend = wired_backend(local_server.url, wire)
    yield backend
    backend.close()


def test_complete_chat_with_tools_returns_both_calls_and_answers_from_their_results(
    plain_backend: AzureInferenceBackend, wire: Wire
) -> None:
    options = ChatOptions(tools=REGISTRY.definitions(["calculator", "current_time"]), tool_choice="auto")
    history = [ChatMessage("user", "what is 12*7 and what time is it in Europe/Paris?")]
    reply = plain_backend.complete_chat(history, options)

    assert (reply.finish_reason, reply.content, reply.model) == ("tool_calls", "", "local-chat")
    assert [c.name for c in reply.tool_calls] == ["calculator", "current_time"]
    assert [json.loads(c.arguments) for c in reply.tool_calls] == [{"expression": "12*7"}, {"timezone": "Europe/Paris"}]
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert "stream" not in wire.last or wire.last["stream"] is False

    results = [run_tool_call(c.name, c.arguments, ToolContext()) for c in reply.tool_calls]
    history += [ChatMessage("assistant", "", tool_calls=reply.tool_calls)]
    history += [ChatMessage("tool", r.content, tool_call_id=c.id) for c, r in zip(reply.tool_calls, results)]
    answer = plain_backend.complete_chat(history, options)
    assert answer.finish_reason == "stop" and answer.tool_calls == ()
    assert answer.content.startswith("Based on the tool results: calculator returned 84; current_time returned {")
    assert [m.get("tool_call_id") for m in wire.last["messages"] if m["role"] == "tool"] == [c.id for c in reply.tool_calls]


def test_complete_chat_hands_a_failing_tool_back_to_the_model(plain_backend: AzureInferenceBackend) -> None:
    with temporary_tool(*FAILING_TOOL):
        options = ChatOptions(tools=REGISTRY.definitions(["flaky_weather"]), tool_choice="auto")
        history = [ChatMessage("user", "what is the weather forecast in Oslo?")]
        reply = plain_backend.complete_chat(history, options)
        [call] = reply.tool_calls
        result = run_tool_call(call.name, call.arguments, ToolContext())
    assert not result.ok
    history += [ChatMessage("assistant", "", tool_calls=reply.tool_calls), ChatMessage("tool", result.content, tool_call_id=call.id)]
    answer = plain_backend.complete_chat(history, options)
    assert answer.content == (
        "Based on the tool results: flaky_weather failed: flaky_weather failed: the weather service for Oslo is unreachable."
    )
