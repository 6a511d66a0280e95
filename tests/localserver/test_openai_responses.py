"""The Responses API of the local server through the unmodified `openai` package: create (streamed and
not), `responses.stream` with a pydantic `text_format`, `responses.parse`, a function-tool round trip
with `call_id`, `previous_response_id`, retrieve, delete, `input_items`, background mode with a
resumed stream, and each error class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import groupby

import httpx
import openai
import pytest
from pydantic import BaseModel

from localserver import RunningServer, ServerConfig, start
from tests.conftest import TEST_API_KEY

CALCULATOR = {
    "type": "function",
    "name": "calculator",
    "description": "Evaluate an arithmetic expression",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start(config=ServerConfig(api_key=TEST_API_KEY, words_per_second=0))
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/openai/v1", api_key=TEST_API_KEY, max_retries=0)


def steps(events) -> list[str]:
    return [kind for kind, _ in groupby(event.type for event in events)]


def test_create_answers_with_a_message(client):
    response = client.responses.create(model="gpt-4o", input="Tell me about 6*7")
    assert response.object == "response" and response.status == "completed"
    assert response.model == "local-chat"
    (message,) = response.output
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert response.output_text.startswith('You said: "Tell me about 6\\*7".')
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.usage.output_tokens_details.reasoning_tokens == 0
    assert response.store is True and response.text.format.type == "text"


def test_a_streamed_response_follows_the_apis_event_order(client):
    events = list(client.responses.create(model="gpt-4o", input="Count to three", stream=True))
    assert steps(events) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    done = next(event for event in events if event.type == "response.output_text.done")
    assert text == done.text == events[-1].response.output_text
    assert events[0].response.status == "in_progress" and events[-1].response.status == "completed"


def test_reasoning_summaries_stream_before_the_answer(client):
    events = list(
        client.responses.create(model="o4-mini", input="What is 6*7?", stream=True, reasoning={"effort": "high", "summary": "detailed"})
    )
    kinds = steps(events)
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added", "response.reasoning_summary_part.added"]
    assert kinds.count("response.reasoning_summary_part.added") >= 2  # "detailed": several parts
    final = events[-1].response
    reasoning, message = final.output
    assert reasoning.type == "reasoning" and reasoning.summary and reasoning.summary[0].text.startswith("**")
    summary_text = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary_text == "".join(part.text for part in reasoning.summary)
    assert "`6*7` gives 42" in summary_text
    assert final.usage.output_tokens_details.reasoning_tokens == 80  # "high"
    assert final.reasoning.effort == "high" and final.reasoning.summary == "detailed"
    # Without a summary asked for, a reasoning model still opens with an (empty) reasoning item.
    quiet = client.responses.create(model="o4-mini", input="hi", reasoning={"effort": "low"})
    assert quiet.output[0].type == "reasoning" and quiet.output[0].summary == []


def test_a_non_reasoning_model_refuses_reasoning_effort(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="gpt-4o", input="hi", reasoning={"effort": "low"})
    assert raised.value.param == "reasoning.effort" and raised.value.code == "unsupported_parameter"


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


def test_parse_and_stream_with_a_pydantic_text_format(client):
    parsed = client.responses.parse(model="gpt-4o-2024-08-06", input="solve 8x + 31 = 2", text_format=MathResponse)
    assert isinstance(parsed.output_parsed, MathResponse) and parsed.output_parsed.steps
    with client.responses.stream(model="gpt-4o-2024-08-06", input="solve 8x + 31 = 2", text_format=MathResponse) as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, MathResponse)
    assert json.loads("".join(deltas)) == final.output_parsed.model_dump()
    assert final.text.format.type == "json_schema" and final.text.format.name == "MathResponse"


def test_a_function_tool_round_trip_with_call_id(client):
    first = client.responses.create(model="gpt-4o", input="What is the weather in Paris and 12*7", tools=[WEATHER, CALCULATOR])
    calls = [item for item in first.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"city": "Paris"}), ("calculator", {"expression": "12*7"})]
    assert all(c.call_id.startswith("call_") and c.id.startswith("fc_") for c in calls)
    echoed = first.tools[0]
    assert echoed.strict is True and echoed.parameters["additionalProperties"] is False  # as the API echoes tools
    outputs = [
        {"type": "function_call_output", "call_id": calls[0].call_id, "output": json.dumps({"result": "sunny"})},
        {"type": "function_call_output", "call_id": calls[1].call_id, "output": json.dumps({"result": 84})},
    ]
    # The whole history sent back (store=false style) ...
    history = [{"role": "user", "content": "What is the weather in Paris and 12*7"}]
    history += [{"type": "function_call", "call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in calls]
    answer = client.responses.create(model="gpt-4o", input=history + outputs, tools=[WEATHER, CALCULATOR], store=False)
    assert answer.output_text == "Based on the tool results: get_weather returned sunny; calculator returned 84."
    # ... or only the outputs, continuing the stored response.
    continued = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=outputs, tools=[WEATHER, CALCULATOR])
    assert continued.output_text == answer.output_text
    assert continued.previous_response_id == first.id


def test_streamed_function_call_arguments_name_the_item(client):
    events = list(client.responses.create(model="gpt-4o", input="12*7 please", tools=[CALCULATOR], stream=True))
    added = next(e for e in events if e.type == "response.output_item.added")
    deltas = [e for e in events if e.type == "response.function_call_arguments.delta"]
    assert deltas and all(e.item_id == added.item.id for e in deltas)
    assert json.loads("".join(e.delta for e in deltas)) == {"expression": "12*7"}
    assert steps(events)[2:6] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]


def test_an_output_for_an_unknown_call_is_refused(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="gpt-4o", input=[{"type": "function_call_output", "call_id": "call_nope", "output": "1"}])
    assert "No tool call found for function call output with call_id call_nope" in raised.value.message


def test_previous_response_id_continues_the_stored_conversation(client):
    first = client.responses.create(model="gpt-4o", input="remember the word KIWI", instructions="Be brief.")
    second = client.responses.create(model="gpt-4o", input="and now?", previous_response_id=first.id)
    assert "This conversation has 2 user messages and 1 earlier reply." in second.output_text
    assert "kiwi" in second.output_text.lower()  # a key word of the earlier turn
    assert "Be brief" not in second.output_text  # instructions are not carried over
    # store=false: nothing to continue.
    unstored = client.responses.create(model="gpt-4o", input="forget me", store=False)
    with pytest.raises(openai.NotFoundError) as raised:
        client.responses.create(model="gpt-4o", input="again", previous_response_id=unstored.id)
    assert raised.value.code == "previous_response_not_found" and raised.value.param == "previous_response_id"


def test_retrieve_input_items_and_delete(client):
    created = client.responses.create(model="gpt-4o", input=[{"role": "user", "content": "first"}, {"role": "user", "content": "second"}])
    assert client.responses.retrieve(created.id).output_text == created.output_text
    items = client.responses.input_items.list(created.id)
    assert [item.content[0].text for item in items.data] == ["second", "first"]  # newest first by default
    ascending = client.responses.input_items.list(created.id, order="asc", limit=1)
    assert [item.content[0].text for item in ascending.data] == ["first"] and ascending.has_more
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)


def test_max_output_tokens_makes_an_incomplete_response(client):
    response = client.responses.create(model="gpt-4o", input="a long story /long 200", max_output_tokens=16)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete" and response.usage.output_tokens == 16
    events = list(client.responses.create(model="gpt-4o", input="a long story /long 200", max_output_tokens=16, stream=True))
    assert events[-1].type == "response.incomplete"
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="gpt-4o", input="hi", max_output_tokens=3)
    assert raised.value.param == "max_output_tokens"


def test_a_failed_response_ends_the_stream_with_response_failed(client):
    events = list(client.responses.create(model="gpt-4o", input="go /fault failed", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.status == "failed" and events[-1].response.error.code == "server_error"
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o", input="go /fault failed")


def test_background_streaming_resumes_after_a_sequence_number(server, client):
    slow = openai.OpenAI(base_url=server.url + "/openai/v1", api_key=TEST_API_KEY, max_retries=0)
    seen = []
    with slow.responses.create(model="gpt-4o", input="background story /long 60 /slow 200", background=True, stream=True) as stream:
        for event in stream:
            seen.append(event)
            if event.sequence_number == 10:
                break
    response_id = seen[0].response.id
    assert seen[0].response.status == "queued" and seen[0].response.background is True
    with client.responses.retrieve(response_id=response_id, stream=True, starting_after=10) as resumed:
        rest = list(resumed)
    assert [e.sequence_number for e in rest] == list(range(11, 11 + len(rest)))
    assert rest[-1].type == "response.completed"
    text = "".join(e.delta for e in seen + rest if e.type == "response.output_text.delta")
    assert text == rest[-1].response.output_text and len(text.split()) == 60
    assert client.responses.retrieve(response_id).status == "completed"


def test_background_without_stream_is_queued_then_completes(client):
    queued = client.responses.create(model="gpt-4o", input="later /long 30 /slow 300", background=True)
    assert queued.status == "queued"
    with client.responses.retrieve(response_id=queued.id, stream=True, starting_after=-1) as stream:
        last = list(stream)[-1]
    assert last.type == "response.completed" and client.responses.retrieve(queued.id).status == "completed"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o", input="x", background=True, store=False)


def test_error_classes(server, client):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.url + "/openai/v1", api_key="wrong", max_retries=0).responses.create(model="gpt-4o", input="hi")
    with pytest.raises(openai.BadRequestError) as unknown:
        client.responses.create(model="gpt-4o", input="hi", extra_body={"frobnicate": True})
    assert unknown.value.body["message"] == "Unrecognized request argument supplied: frobnicate"
    with pytest.raises(openai.BadRequestError) as missing:
        client.responses.create(model="gpt-4o", input=[])
    assert missing.value.param == "input"
    with pytest.raises(openai.RateLimitError) as limited:
        client.responses.create(model="gpt-4o", input="busy /fault 429")
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o", input="boom /fault 500")
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_does_not_exist")
    raw = httpx.post(f"{server.url}/openai/v1/responses", json={"input": "hi"}, headers={"api-key": TEST_API_KEY})
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "missing_required_parameter"
    assert raw.headers["x-request-id"]


def test_responses_only_models_are_refused_on_chat_completions(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="gpt-5-codex", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["message"] == "This model is only supported in v1/responses and not in v1/chat/completions."
    answered = client.responses.create(model="gpt-5-codex", input="hi")
    assert answered.model == "local-codex" and answered.output_text.startswith('You said: "hi".')
