"""The unmodified `openai` package, sync and async, over HTTP against the local server's OpenAI v1 routes.

`/openai/v1` is Foundry's v1 API, `/v1` an OpenAI-compatible server; both must behave as the OpenAI
API does for the calls the portal (and the package's own helpers) make: streaming with and without
`include_usage`, tools (parallel, streamed), structured output through `chat.completions.parse`,
`json_object`, images, embeddings as floats and base64, `models.list`, and each error class surfacing
as the exception the package defines. The Azure OpenAI deployment route is driven with the package's
`AzureOpenAI` client.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json

import httpx
import numpy as np
import openai
import pytest
from PIL import Image
from pydantic import BaseModel

from localserver import RunningServer, ServerConfig, start
from tests.conftest import TEST_API_KEY

ROUTES = ["/openai/v1", "/v1"]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CALCULATOR_TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
    },
}


def red_png() -> str:
    """A 4x4 red PNG as a data URL."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()



@pytest.fixture(scope="module")
def keyed() -> RunningServer:
    server = start(config=ServerConfig(api_key=TEST_API_KEY, words_per_second=0))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict() -> RunningServer:
    server = start(config=ServerConfig(words_per_second=0, strict_models=True))
    yield server
    server.stop()


def client(server: RunningServer, route: str = "/openai/v1", **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + route, api_key=kwargs.pop("api_key", TEST_API_KEY), max_retries=kwargs.pop("max_retries", 0), **kwargs)


def async_client(server: RunningServer, route: str = "/openai/v1") -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.url + route, api_key=TEST_API_KEY, max_retries=0)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


# -- chat completions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_plain_completion_answers_any_chat_model_name_with_the_local_model(keyed, route):
    completion = client(keyed, route).chat.completions.create(model="gpt-4o-2024-08-06", messages=user("How many feet in a mile?"))
    assert completion.object == "chat.completion"
    assert completion.model == "local-chat"  # says which local model answered
    assert completion.choices[0].finish_reason == "stop"
    assert '"How many feet in a mile?"' in completion.choices[0].message.content
    assert completion.choices[0].message.refusal is None
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0
    assert completion.system_fingerprint and completion.service_tier == "default"


def test_streaming_without_include_usage_sends_no_usage(keyed):
    stream = client(keyed).chat.completions.create(model="local-chat", messages=user("Count to three"), stream=True)
    chunks = list(stream)
    assert all(chunk.usage is None for chunk in chunks)
    assert all(len(chunk.choices) == 1 for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].choices[0].delta.content is None
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert '"Count to three"' in text


def test_streaming_with_include_usage_ends_with_a_usage_chunk_without_choices(keyed):
    raw = httpx.post(
        f"{keyed.url}/openai/v1/chat/completions",
        json={"model": "local-chat", "messages": user("Count to three"), "stream": True, "stream_options": {"include_usage": True}},
        headers={"api-key": TEST_API_KEY},
    )
    events = [line[6:] for line in raw.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all("usage" in chunk for chunk in chunks)  # null on every chunk but the last
    assert [chunk["usage"] is None for chunk in chunks] == [True] * (len(chunks) - 1) + [False]
    assert chunks[-1]["choices"] == []
    assert chunks[-2]["choices"][0]["delta"] == {} and chunks[-2]["choices"][0]["finish_reason"] == "stop"
    content_chunks = sum(1 for chunk in chunks if chunk["choices"] and chunk["choices"][0]["delta"].get("content"))
    assert chunks[-1]["usage"]["completion_tokens"] == content_chunks
    # The same through the package.
    stream = client(keyed).chat.completions.create(
        model="local-chat", messages=user("Count to three"), stream=True, stream_options={"include_usage": True}
    )
    last = list(stream)[-1]
    assert last.choices == [] and last.usage.completion_tokens == content_chunks


def test_stream_options_without_stream_is_refused_with_its_param(keyed):
    with pytest.raises(openai.BadRequestError) as raised:
        client(keyed).chat.completions.create(model="local-chat", messages=user("hi"), stream_options={"include_usage": True})
    assert raised.value.status_code == 400 and raised.value.param == "stream_options"


def test_standard_parameters_are_accepted(keyed):
    completion = client(keyed).chat.completions.create(
        model="local-chat",
        messages=user("Name three colours"),
        n=2,
        max_completion_tokens=4,
        logprobs=True,
        top_logprobs=1,
        user="user-123",
        seed=3,
        presence_penalty=0.5,
        frequency_penalty=0.5,
        metadata={"team": "demo"},
    )
    assert [choice.index for choice in completion.choices] == [0, 1]
    for choice in completion.choices:
        assert choice.finish_reason == "length"
        assert len(choice.message.content.split()) == 4
        assert [entry.token for entry in choice.logprobs.content] and all(entry.logprob <= 0 for entry in choice.logprobs.content)
    assert completion.choices[0].message.content != completion.choices[1].message.content  # each choice its own seed


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_parallel_tool_calls(keyed, stream):
    args = {"model": "local-chat", "messages": user("What is the weather in Paris and 12*7"), "tools": [WEATHER_TOOL, CALCULATOR_TOOL]}
    if stream:
        calls: dict[int, dict] = {}
        finish = None
        for chunk in client(keyed).chat.completions.create(**args, stream=True):
            for choice in chunk.choices:
                for delta in choice.delta.tool_calls or []:
                    call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
                    call["id"] = delta.id or call["id"]
                    call["name"] = (delta.function.name if delta.function else None) or call["name"]
                    call["arguments"] += (delta.function.arguments if delta.function else None) or ""
                finish = choice.finish_reason or finish
        found = [(c["name"], json.loads(c["arguments"]), c["id"]) for _, c in sorted(calls.items())]
    else:
        message = client(keyed).chat.completions.create(**args).choices[0]
        finish = message.finish_reason
        found = [(c.function.name, json.loads(c.function.arguments), c.id) for c in message.message.tool_calls]
    assert finish == "tool_calls"
    assert [(name, arguments) for name, arguments, _ in found] == [("get_weather", {"city": "Paris"}), ("calculator", {"expression": "12*7"})]
    assert all(call_id.startswith("call_") for _, _, call_id in found)
    # parallel_tool_calls=False: one call at a time.
    single = client(keyed).chat.completions.create(**args, parallel_tool_calls=False).choices[0].message.tool_calls
    assert [call.function.name for call in single] == ["get_weather"]


def test_tool_round_trip(keyed):
    api = client(keyed)
    first = api.chat.completions.create(model="local-chat", messages=user("12*7 please"), tools=[CALCULATOR_TOOL]).choices[0].message
    (call,) = first.tool_calls
    followup = [
        *user("12*7 please"),
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"result": 84})},
    ]
    answer = api.chat.completions.create(model="local-chat", messages=followup, tools=[CALCULATOR_TOOL]).choices[0].message
    assert answer.tool_calls is None and "calculator returned 84" in answer.content


def test_tool_messages_must_answer_a_preceding_tool_call(keyed):
    api = client(keyed)
    with pytest.raises(openai.BadRequestError) as orphan:
        api.chat.completions.create(model="local-chat", messages=[*user("hi"), {"role": "tool", "tool_call_id": "call_x", "content": "1"}])
    assert orphan.value.param == "messages.[1].role"
    assert "must be a response to a preceeding message with 'tool_calls'" in orphan.value.message
    with pytest.raises(openai.BadRequestError) as missing_id:
        api.chat.completions.create(
            model="local-chat",
            messages=[
                *user("hi"),
                {"role": "assistant", "tool_calls": [{"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "content": "1"},
            ],
        )
    assert missing_id.value.code == "missing_required_parameter" and missing_id.value.param == "messages[2].tool_call_id"
    with pytest.raises(openai.BadRequestError) as unanswered:
        api.chat.completions.create(
            model="local-chat",
            messages=[
                *user("hi"),
                {"role": "assistant", "tool_calls": [{"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                *user("and?"),
            ],
        )
    assert "did not have response messages: call_a" in unanswered.value.message


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


def test_parse_with_a_pydantic_model_gives_a_parsed_instance(keyed):
    completion = client(keyed).chat.completions.parse(
        model="gpt-4o-2024-08-06", messages=user("solve 8x + 31 = 2"), response_format=MathResponse
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, MathResponse) and parsed.steps and isinstance(parsed.steps[0], Step)


def test_json_object_format_gives_a_json_object(keyed):
    content = (
        client(keyed)
        .chat.completions.create(model="local-chat", messages=user("Reply in JSON please"), response_format={"type": "json_object"})
        .choices[0]
        .message.content
    )
    assert isinstance(json.loads(content), dict)


def test_image_parts_are_read(keyed):
    message = [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": red_png()}}]}]
    content = client(keyed).chat.completions.create(model="gpt-4o", messages=message).choices[0].message.content
    assert "You attached a 4x4 PNG image, mostly red" in content


def test_a_reasoning_model_streams_its_reasoning_first_and_counts_it(keyed):
    stream = client(keyed).chat.completions.create(
        model="DeepSeek-R1", messages=user("What is 6*7?"), stream=True, stream_options={"include_usage": True}, reasoning_effort="low"
    )
    reasoning, content, usage = [], [], None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            extra = choice.delta.model_extra or {}
            if extra.get("reasoning_content"):
                assert not content, "reasoning comes before the answer"
                reasoning.append(extra["reasoning_content"])
            if choice.delta.content:
                content.append(choice.delta.content)
    assert "`6*7` gives 42" in "".join(reasoning)
    assert "`6*7` = 42" in "".join(content)
    assert usage.completion_tokens_details.reasoning_tokens == len(reasoning) == 16  # "low"
    assert usage.completion_tokens == len(reasoning) + len(content)
    high = client(keyed).chat.completions.create(model="local-reasoner", messages=user("What is 6*7?"), reasoning_effort="high")
    assert high.usage.completion_tokens_details.reasoning_tokens == 80
    assert high.choices[0].message.model_extra["reasoning_content"]


def test_reasoning_models_take_max_completion_tokens_and_others_refuse_reasoning_effort(keyed):
    api = client(keyed)
    with pytest.raises(openai.BadRequestError) as old_name:
        api.chat.completions.create(model="local-reasoner", messages=user("hi"), max_tokens=10)
    assert old_name.value.code == "unsupported_parameter" and old_name.value.param == "max_tokens"
    assert "Use 'max_completion_tokens' instead." in old_name.value.message
    cut = api.chat.completions.create(model="local-reasoner", messages=user("hi"), max_completion_tokens=45)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 45
    with pytest.raises(openai.BadRequestError) as not_reasoning:
        api.chat.completions.create(model="local-chat", messages=user("hi"), reasoning_effort="high")
    assert not_reasoning.value.param == "reasoning_effort"


# -- embeddings and models ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_embeddings_as_floats_and_as_base64(keyed, route):
    api = client(keyed, route)
    floats = api.embeddings.create(model="text-embedding-3-small", input=["a cat", "a dog"], encoding_format="float")
    assert floats.model == "local-embed" and [item.index for item in floats.data] == [0, 1]
    assert len(floats.data[0].embedding) == 384 and floats.usage.prompt_tokens == 4
    # Without encoding_format the package asks for base64 and decodes it itself.
    default = api.embeddings.create(model="text-embedding-3-small", input=["a cat", "a dog"])
    assert np.allclose(default.data[0].embedding, floats.data[0].embedding, atol=1e-6)
    raw = httpx.post(
        f"{keyed.url}{route}/embeddings",
        json={"model": "local-embed", "input": "a cat", "encoding_format": "base64", "dimensions": 64},
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    ).json()
    vector = np.frombuffer(base64.b64decode(raw["data"][0]["embedding"]), dtype="<f4")
    assert vector.shape == (64,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert set(raw) == {"object", "data", "model", "usage"}


def test_embeddings_refuse_parameters_the_openai_api_does_not_know(keyed):
    with pytest.raises(openai.BadRequestError) as raised:
        client(keyed).embeddings.create(model="local-embed", input=["x"], extra_body={"input_type": "query"})
    assert raised.value.body["message"] == "Unrecognized request argument supplied: input_type"


def test_models_list_and_retrieve(keyed):
    api = client(keyed)
    ids = [model.id for model in api.models.list()]
    assert {"local-chat", "local-reasoner", "local-embed"} <= set(ids) and "local-image-embed" not in ids
    model = api.models.retrieve("local-embed")
    assert model.id == "local-embed" and model.object == "model"
    assert model.model_extra["capabilities"]["embeddings"] is True  # Foundry's catalog says what a model does
    with pytest.raises(openai.NotFoundError) as raised:
        api.models.retrieve("gpt-nothing")
    assert raised.value.code == "model_not_found"


def test_the_deployments_list_answers_at_the_resource_root(keyed):
    response = httpx.get(f"{keyed.url}/openai/deployments", params={"api-version": "2023-03-15-preview"}, headers={"api-key": TEST_API_KEY})
    assert response.status_code == 200
    names = {item["id"]: item for item in response.json()["data"]}
    assert names["local-chat"]["status"] == "succeeded" and names["local-chat"]["object"] == "deployment"
    assert httpx.get(f"{keyed.url}/openai/deployments", headers={"api-key": TEST_API_KEY}).status_code == 404  # needs api-version
    assert httpx.get(f"{keyed.url}/openai/deployments", params={"api-version": "2023-03-15-preview"}).status_code == 401


# -- errors -------------------------------------------------------------------------------------------


def test_400_names_the_offending_parameter(keyed):
    api = client(keyed)
    with pytest.raises(openai.BadRequestError) as raised:
        api.chat.completions.create(model="local-chat", messages=user("hi"), temperature=3)
    error = raised.value
    assert error.status_code == 400 and error.param == "temperature" and error.code == "decimal_above_max_value"
    assert error.body == {
        "message": "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "decimal_above_max_value",
    }
    assert error.request_id  # x-request-id on errors too
    with pytest.raises(openai.BadRequestError) as unknown:
        api.chat.completions.create(model="local-chat", messages=user("hi"), extra_body={"frobnicate": 1})
    assert unknown.value.body["message"] == "Unrecognized request argument supplied: frobnicate" and unknown.value.param is None
    with pytest.raises(openai.BadRequestError) as missing:
        api.chat.completions.create(model="local-chat", messages=[])
    assert missing.value.param == "messages" and missing.value.code == "empty_array"


def test_401_is_an_authentication_error(keyed):
    with pytest.raises(openai.AuthenticationError) as raised:
        client(keyed, api_key="wrong").chat.completions.create(model="local-chat", messages=user("hi"))
    assert raised.value.status_code == 401 and raised.value.code == "invalid_api_key"
    assert "wrong" not in raised.value.message  # a key is never echoed


def test_unknown_model_is_404_model_not_found_on_a_strict_server(strict):
    with pytest.raises(openai.NotFoundError) as raised:
        client(strict).chat.completions.create(model="gpt-4o", messages=user("hi"))
    assert raised.value.code == "model_not_found"
    assert raised.value.body["message"] == "The model `gpt-4o` does not exist or you do not have access to it."
    assert client(strict).chat.completions.create(model="local-chat", messages=user("hi")).model == "local-chat"


def test_429_carries_retry_after_and_the_package_retries_it(keyed):
    with pytest.raises(openai.RateLimitError) as raised:
        client(keyed).chat.completions.create(model="local-chat", messages=user("busy /fault 429"))
    assert raised.value.response.headers["retry-after"] == "1"
    assert raised.value.code == "rate_limit_exceeded" and raised.value.type == "requests"
    # The package's own retry honours retry-after and then succeeds (the fault is for the first request only).
    retrying = client(keyed, max_retries=2)
    completion = retrying.chat.completions.create(model="local-chat", messages=user("busy once /fault 429x1 unique-7731"))
    assert completion.choices[0].message.content


@pytest.mark.parametrize(("directive", "exception", "status"), [("500", openai.InternalServerError, 500), ("503", openai.InternalServerError, 503)])
def test_server_errors_are_internal_server_errors(keyed, directive, exception, status):
    with pytest.raises(exception) as raised:
        client(keyed).chat.completions.create(model="local-chat", messages=user(f"boom /fault {directive}"))
    assert raised.value.status_code == status and raised.value.type == "server_error"


def test_every_response_carries_an_x_request_id(keyed):
    for response in (
        httpx.get(f"{keyed.url}/openai/v1/models", headers={"api-key": TEST_API_KEY}),
        httpx.get(f"{keyed.url}/openai/v1/models"),
        httpx.post(f"{keyed.url}/openai/v1/chat/completions", content=b"not json", headers={"api-key": TEST_API_KEY}),
    ):
        assert response.headers["x-request-id"]


# -- async client -------------------------------------------------------------------------------------


def test_async_client_streams_and_embeds(keyed):
    async def main() -> tuple[str, int, int]:
        async with async_client(keyed) as api:
            stream = await api.chat.completions.create(
                model="local-chat", messages=user("Say hello"), stream=True, stream_options={"include_usage": True}
            )
            text, usage = [], None
            async for chunk in stream:
                usage = chunk.usage or usage
                text += [choice.delta.content or "" for choice in chunk.choices]
            embeddings = await asyncio.gather(*(api.embeddings.create(model="local-embed", input=[f"text {i}"]) for i in range(4)))
            return "".join(text), usage.completion_tokens, sum(len(e.data) for e in embeddings)

    text, tokens, vectors = asyncio.run(main())
    assert '"Say hello"' in text and tokens > 0 and vectors == 4


def test_async_errors_are_the_same_exceptions(keyed):
    async def main() -> None:
        async with openai.AsyncOpenAI(base_url=keyed.url + "/openai/v1", api_key="wrong", max_retries=0) as api:
            await api.chat.completions.create(model="local-chat", messages=user("hi"))

    with pytest.raises(openai.AuthenticationError):
        asyncio.run(main())


# -- the Azure OpenAI deployment route ---------------------------------------------------------------


def test_azure_openai_client_on_the_deployment_route_takes_the_openai_parameters(keyed):
    azure = openai.AzureOpenAI(
        azure_endpoint=keyed.url, azure_deployment="local-chat", api_version="2024-10-21", api_key=TEST_API_KEY, max_retries=0
    )
    completion = azure.chat.completions.create(
        model="local-chat",
        messages=user("Hello there"),
        max_completion_tokens=3,
        n=1,
        user="u",
        parallel_tool_calls=True,
        tools=[WEATHER_TOOL],
    )
    assert completion.choices[0].finish_reason in ("length", "stop")
    streamed = list(
        azure.chat.completions.create(model="local-chat", messages=user("Hello there"), stream=True, stream_options={"include_usage": True})
    )
    assert any(chunk.usage for chunk in streamed)
    embed = openai.AzureOpenAI(
        azure_endpoint=keyed.url, azure_deployment="local-embed", api_version="2024-10-21", api_key=TEST_API_KEY, max_retries=0
    )
    assert len(embed.embeddings.create(model="local-embed", input=["x"], dimensions=32).data[0].embedding) == 32
    with pytest.raises(openai.BadRequestError) as unknown:
        azure.chat.completions.create(model="local-chat", messages=user("hi"), extra_body={"frobnicate": 1})
    assert "Unrecognized request argument supplied: frobnicate" in unknown.value.message
