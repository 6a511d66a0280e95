"""The unmodified azure-ai-inference SDK (`azure.ai.inference.aio` clients on aiohttp) against the local server.

Same behaviour as the sync tests, through azure-core's async pipeline: real HTTP, no mocks.
"""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from azure.ai.inference.aio import ChatCompletionsClient, EmbeddingsClient, ImageEmbeddingsClient, load_client
from azure.ai.inference.models import (
    AssistantMessage,
    AudioContentItem,
    ChatCompletionsToolCall,
    CompletionsFinishReason,
    EmbeddingEncodingFormat,
    FunctionCall,
    ImageContentItem,
    ImageEmbeddingInput,
    ImageUrl,
    InputAudio,
    JsonSchemaFormat,
    TextContentItem,
    ToolMessage,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import AioHttpTransport

from tests.conftest import TEST_API_KEY

from .support import (
    API_KEY,
    CALCULATOR_TOOL,
    DISTANCE_SCHEMA,
    PHRASES,
    TWO_TOOL_PROMPT,
    WEATHER_TOOL,
    Canary,
    cosine,
    decode_base64_floats,
    png_bytes,
    png_data_url,
    unique,
    wav_b64,
)

pytestmark = pytest.mark.asyncio


def key() -> AzureKeyCredential:
    return AzureKeyCredential(API_KEY)


def records_since(server, before: int):
    return list(server.state.requests)[before:]


async def collect(stream) -> list:
    return [update async for update in stream]


# -- chat ---------------------------------------------------------------------------------------------


async def test_async_clients_use_aiohttp(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        transport = client._client._pipeline._transport  # the transport azure-core picked by default
        result = await client.complete(messages=[UserMessage("Which transport is this?")])

    assert isinstance(transport, AioHttpTransport)
    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED


async def test_complete_restates_the_question_and_reports_consistent_usage(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        result = await client.complete(messages=[UserMessage("How many yards are in a mile?")])

    content = result.choices[0].message.content
    assert "How many yards are in a mile?" in content
    assert result.usage.completion_tokens == len(content.split())
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


async def test_streamed_chunks_join_to_the_same_text_as_a_non_streamed_call(local_server):
    messages = [UserMessage("Give me three good reasons to sleep well.")]
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        whole = await client.complete(messages=messages, seed=5)
        updates = await collect(await client.complete(messages=messages, seed=5, stream=True))

    pieces = [u.choices[0].delta.content or "" for u in updates if u.choices]
    assert "".join(pieces) == whole.choices[0].message.content
    assert updates[-1].choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert updates[-1].usage.completion_tokens == whole.usage.completion_tokens == sum(1 for p in pieces if p)
    assert all(u.usage is None for u in updates[:-1])


async def test_max_tokens_stops_with_finish_reason_length_after_exactly_that_many_tokens(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        result = await client.complete(messages=[UserMessage("Tell me a long story about a heron.")], max_tokens=2)

    assert result.choices[0].finish_reason == CompletionsFinishReason.TOKEN_LIMIT_REACHED
    assert result.usage.completion_tokens == 2
    assert len(result.choices[0].message.content.split()) == 2


async def test_stop_sequence_cuts_the_reply_just_before_it(local_server):
    messages = [UserMessage("Describe a quiet library.")]
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        full = (await client.complete(messages=messages)).choices[0].message.content
        stopped = (await client.complete(messages=messages, stop=["user message"])).choices[0].message.content

    assert "user message" in full
    assert stopped == full[: full.index("user message")]


async def test_same_seed_gives_the_same_reply_and_other_seeds_vary_it(local_server):
    messages = [UserMessage("Pick a name for a boat.")]
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        first = (await client.complete(messages=messages, seed=9)).choices[0].message.content
        again = (await client.complete(messages=messages, seed=9)).choices[0].message.content
        variants = {(await client.complete(messages=messages, seed=s)).choices[0].message.content for s in range(4)}

    assert first == again
    assert len(variants) > 1


async def test_client_level_defaults_are_merged_into_calls_and_per_call_values_win(local_server):
    sent: list[dict] = []

    def capture(request):
        sent.append(json.loads(request.http_request.content))

    async with ChatCompletionsClient(
        endpoint=local_server.url, credential=key(), temperature=0.5, max_tokens=3
    ) as client:
        messages = [UserMessage("Explain how bicycles stay upright.")]
        defaulted = await client.complete(messages=messages, raw_request_hook=capture)
        overridden = await client.complete(messages=messages, max_tokens=6, raw_request_hook=capture)

    assert defaulted.choices[0].finish_reason == CompletionsFinishReason.TOKEN_LIMIT_REACHED
    assert defaulted.usage.completion_tokens == 3
    assert overridden.usage.completion_tokens == 6
    assert sent[0]["temperature"] == sent[1]["temperature"] == 0.5


async def test_model_extras_pass_through_but_an_unknown_key_without_them_gets_422(local_server):
    headers = {}
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        accepted = await client.complete(
            messages=[UserMessage("How many feet are in a mile?")],
            model_extras={"n": 1},
            raw_request_hook=lambda r: headers.update(r.http_request.headers),
        )
        with pytest.raises(HttpResponseError) as caught:
            await client.complete(body={"messages": [{"role": "user", "content": "hi"}], "n": 1})

    assert headers["extra-parameters"] == "pass-through"
    assert accepted.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert caught.value.status_code == 422


# -- tools --------------------------------------------------------------------------------------------


async def test_two_tool_calls_streamed_and_not_then_tool_results_give_a_text_answer(local_server):
    tools = [WEATHER_TOOL, CALCULATOR_TOOL]
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        whole = await client.complete(messages=[UserMessage(TWO_TOOL_PROMPT)], tools=tools)
        updates = await collect(await client.complete(messages=[UserMessage(TWO_TOOL_PROMPT)], tools=tools, stream=True))

        assembled: dict[int, dict] = {}
        for update in updates:
            for delta in update.choices[0].delta.tool_calls or []:
                call = assembled.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.get("id") or ""
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
        calls = [
            ChatCompletionsToolCall(id=c["id"], function=FunctionCall(name=c["name"], arguments=c["arguments"]))
            for _, c in sorted(assembled.items())
        ]
        answer = await client.complete(
            messages=[
                UserMessage(TWO_TOOL_PROMPT),
                AssistantMessage(tool_calls=calls),
                ToolMessage("Sunny, 20 degrees", tool_call_id=calls[0].id),
                ToolMessage("84", tool_call_id=calls[1].id),
            ],
            tools=tools,
        )

    assert whole.choices[0].finish_reason == CompletionsFinishReason.TOOL_CALLS
    assert [c.function.name for c in whole.choices[0].message.tool_calls] == ["get_weather", "calculate"]
    assert updates[-1].choices[0].finish_reason == CompletionsFinishReason.TOOL_CALLS
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        (c.id, c.function.name, c.function.arguments) for c in whole.choices[0].message.tool_calls
    ]
    assert answer.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert "84" in answer.choices[0].message.content
    assert "Sunny, 20 degrees" in answer.choices[0].message.content


# -- structured output and attachments ----------------------------------------------------------------


async def test_structured_output_json_schema_and_json_object(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        schema_result = await client.complete(
            messages=[UserMessage("Distance between Boston and Albany?")],
            response_format=JsonSchemaFormat(name="Distances", schema=DISTANCE_SCHEMA),
        )
        object_result = await client.complete(messages=[UserMessage("JSON please")], response_format="json_object")

    jsonschema.validate(json.loads(schema_result.choices[0].message.content), DISTANCE_SCHEMA)
    assert isinstance(json.loads(object_result.choices[0].message.content), dict)


async def test_image_and_audio_parts_are_described_and_remote_urls_not_fetched(local_server):
    audio = InputAudio(data=wav_b64(1.0), format="wav")
    with Canary() as canary:
        async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
            result = await client.complete(
                messages=[
                    UserMessage(
                        [
                            TextContentItem(text="What do you see and hear?"),
                            ImageContentItem(image_url=ImageUrl(url=png_data_url(2, 3))),
                            ImageContentItem(image_url=ImageUrl(url=f"{canary.url}/remote.png")),
                            AudioContentItem(input_audio=audio),
                        ]
                    )
                ]
            )

    content = result.choices[0].message.content
    assert "2x3" in content and "PNG" in content
    assert "not fetch" in content
    assert "1.0 second wav audio clip" in content
    assert canary.hits == []


# -- embeddings ---------------------------------------------------------------------------------------


async def test_embeddings_float_base64_dimensions_and_similarity(local_server):
    async with EmbeddingsClient(endpoint=local_server.url, credential=key()) as client:
        floats = await client.embed(input=PHRASES)
        encoded = await client.embed(input=PHRASES, encoding_format=EmbeddingEncodingFormat.BASE64)
        small = await client.embed(input=["salt and pepper"], dimensions=128)
        similar = await client.embed(input=["green tea", "green tea", "green tea leaves", "diesel engine parts"])

    for as_floats, as_base64 in zip(floats.data, encoded.data, strict=True):
        np.testing.assert_allclose(decode_base64_floats(as_base64.embedding), as_floats.embedding, atol=1e-6)
    assert len(small.data[0].embedding) == 128
    v = [d.embedding for d in similar.data]
    assert cosine(v[0], v[1]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(v[0], v[2]) > cosine(v[0], v[3])


async def test_image_embeddings_from_a_file(local_server, tmp_path):
    path = tmp_path / "blue.png"
    path.write_bytes(png_bytes(8, 8, (40, 80, 200)))
    async with ImageEmbeddingsClient(endpoint=local_server.url, credential=key()) as client:
        result = await client.embed(
            input=[
                ImageEmbeddingInput.load(image_file=str(path), image_format="png"),
                ImageEmbeddingInput(image=png_data_url(8, 8, (40, 80, 200))),
            ],
            dimensions=256,
        )

    assert [len(d.embedding) for d in result.data] == [256, 256]
    assert cosine(result.data[0].embedding, result.data[1].embedding) == pytest.approx(1.0, abs=1e-6)
    assert result.usage.prompt_tokens == 2000


# -- model info, load_client, endpoint styles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "client_class", "model_type"),
    [
        ("local-chat", ChatCompletionsClient, "chat-completion"),
        ("local-embed", EmbeddingsClient, "embedding"),
        ("local-image-embed", ImageEmbeddingsClient, "image_embeddings"),
    ],
)
async def test_load_client_and_get_model_info_on_each_serverless_model(local_server, model, client_class, model_type):
    client = await load_client(endpoint=local_server.endpoint("serverless", model), credential=key())
    async with client:
        info = await client.get_model_info()

    assert type(client) is client_class
    assert (info.model_name, info.model_type) == (model, model_type)


async def test_models_endpoint_requires_the_model_name(local_server):
    async with ChatCompletionsClient(endpoint=local_server.endpoint("models"), credential=key()) as client:
        result = await client.complete(messages=[UserMessage("Hello Foundry")], model="local-chat")
        with pytest.raises(HttpResponseError) as caught:
            await client.complete(messages=[UserMessage("Hello Foundry")])
        with pytest.raises(ResourceNotFoundError):
            await client.get_model_info()

    assert result.model == "local-chat"
    assert caught.value.error.code == "no_model_name"


async def test_azure_openai_deployment_endpoint_chats_but_has_no_model_info(local_server):
    async with ChatCompletionsClient(
        endpoint=local_server.endpoint("openai", "local-chat"), credential=key(), api_version="2024-06-01"
    ) as client:
        result = await client.complete(messages=[UserMessage("Hello Azure OpenAI")])
        with pytest.raises(ResourceNotFoundError):
            await client.get_model_info()

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED


# -- auth ---------------------------------------------------------------------------------------------


async def test_right_key_works_and_wrong_key_raises_client_authentication_error(keyed_server):
    async with ChatCompletionsClient(endpoint=keyed_server.url, credential=AzureKeyCredential(TEST_API_KEY)) as good:
        result = await good.complete(messages=[UserMessage("Let me in")])
    async with EmbeddingsClient(endpoint=keyed_server.url, credential=AzureKeyCredential("wrong")) as bad:
        with pytest.raises(ClientAuthenticationError) as caught:
            await bad.embed(input=PHRASES)

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert caught.value.status_code == 401


# -- faults -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
async def test_5xx_is_retried_three_times_then_raised(local_server, status):
    before = len(local_server.state.requests)
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key(), retry_backoff_factor=0.01) as c:
        with pytest.raises(HttpResponseError) as caught:
            await c.complete(messages=[UserMessage(unique(f"Async broken? /fault {status}"))])

    assert caught.value.status_code == status
    assert [r.status for r in records_since(local_server, before)] == [status] * 4


async def test_429_once_then_the_retry_succeeds(local_server):
    before = len(local_server.state.requests)
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        result = await client.complete(messages=[UserMessage(unique("Async busy once? /fault 429x1"))])

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert [r.status for r in records_since(local_server, before)] == [429, 200]


async def test_401_and_filter_faults(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        with pytest.raises(ClientAuthenticationError):
            await client.complete(messages=[UserMessage(unique("/fault 401"))])
        with pytest.raises(HttpResponseError) as caught:
            await client.complete(messages=[UserMessage(unique("/fault filter"))])

    assert caught.value.error.code == "content_filter"


async def test_cut_stream_raises_incomplete_read_error_after_the_tokens_received(local_server):
    received = []
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        stream = await client.complete(messages=[UserMessage("Tell me a story /fault cut:3")], stream=True)
        # aiohttp notices the missing end of the chunked body: azure-core raises IncompleteReadError
        # (a DecodeError, hence an HttpResponseError), not the sync "Response ended prematurely".
        with pytest.raises(IncompleteReadError):
            async for update in stream:
                received.append(update.choices[0].delta.content)

    assert received == ["", "You", " said:"]


async def test_stream_without_done_just_stops_without_a_finish_reason(local_server):
    async with ChatCompletionsClient(endpoint=local_server.url, credential=key()) as client:
        updates = await collect(await client.complete(messages=[UserMessage("A story /fault nodone")], stream=True))

    assert "".join(u.choices[0].delta.content or "" for u in updates).startswith('You said: "A story"')
    assert all(u.choices[0].finish_reason is None for u in updates)
