"""The unmodified azure-ai-inference SDK (sync clients) against the local server, over real HTTP.

Every test talks to a real uvicorn server through azure-core's requests transport; nothing is mocked.
Where a test needs to see what the SDK put on the wire it uses azure-core's `raw_request_hook`.
"""

from __future__ import annotations

import json

import httpx
import jsonschema
import numpy as np
import pytest
from azure.ai.inference import ChatCompletionsClient, EmbeddingsClient, ImageEmbeddingsClient, load_client
from azure.ai.inference.models import (
    AssistantMessage,
    AudioContentFormat,
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
    SystemMessage,
    TextContentItem,
    ToolMessage,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport

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
    wav_bytes,
)


@pytest.fixture(scope="module")
def chat(local_server):
    with ChatCompletionsClient(endpoint=local_server.url, credential=AzureKeyCredential(API_KEY)) as client:
        yield client


@pytest.fixture(scope="module")
def fast_retry_chat(local_server):
    """Retries as azure-core does by default, but with almost no back-off between them."""
    client = ChatCompletionsClient(
        endpoint=local_server.url, credential=AzureKeyCredential(API_KEY), retry_backoff_factor=0.01
    )
    with client:
        yield client


@pytest.fixture(scope="module")
def embed(local_server):
    with EmbeddingsClient(endpoint=local_server.url, credential=AzureKeyCredential(API_KEY)) as client:
        yield client


def records_since(server, before: int):
    return list(server.state.requests)[before:]


# -- chat ---------------------------------------------------------------------------------------------


def test_complete_restates_the_question_and_reports_consistent_usage(chat):
    result = chat.complete(
        messages=[SystemMessage("You are terse."), UserMessage("How many feet are in a mile?")]
    )

    choice = result.choices[0]
    assert choice.message.role == "assistant"
    assert "How many feet are in a mile?" in choice.message.content
    assert choice.finish_reason == CompletionsFinishReason.STOPPED
    assert result.model == "local-chat"
    assert result.usage.completion_tokens == len(choice.message.content.split())
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


def test_streamed_chunks_join_to_the_same_text_as_a_non_streamed_call(chat):
    messages = [UserMessage("Give me three good reasons to exercise every day.")]
    whole = chat.complete(messages=messages, seed=3)

    updates = list(chat.complete(messages=messages, seed=3, stream=True))

    pieces = [u.choices[0].delta.content or "" for u in updates if u.choices]
    assert "".join(pieces) == whole.choices[0].message.content
    last = updates[-1]
    assert last.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert last.usage is not None
    assert last.usage.completion_tokens == whole.usage.completion_tokens == sum(1 for p in pieces if p)
    assert all(u.usage is None for u in updates[:-1])
    assert all(u.choices[0].finish_reason is None for u in updates[:-1])


def test_max_tokens_stops_with_finish_reason_length_after_exactly_that_many_tokens(chat):
    result = chat.complete(messages=[UserMessage("Tell me a long story about a fox in the snow.")], max_tokens=4)

    assert result.choices[0].finish_reason == CompletionsFinishReason.TOKEN_LIMIT_REACHED
    assert result.usage.completion_tokens == 4
    assert len(result.choices[0].message.content.split()) == 4


def test_max_tokens_also_limits_a_stream(chat):
    updates = list(chat.complete(messages=[UserMessage("Tell me about owls at night.")], max_tokens=5, stream=True))

    assert updates[-1].choices[0].finish_reason == CompletionsFinishReason.TOKEN_LIMIT_REACHED
    assert updates[-1].usage.completion_tokens == 5
    assert sum(1 for u in updates if u.choices and u.choices[0].delta.content) == 5


def test_stop_sequence_cuts_the_reply_just_before_it(chat):
    messages = [UserMessage("Describe the harbour at dawn.")]
    full = chat.complete(messages=messages, seed=0).choices[0].message.content
    assert "conversation" in full

    stopped = chat.complete(messages=messages, seed=0, stop=["conversation", "never-present"])

    content = stopped.choices[0].message.content
    assert "conversation" not in content
    assert content == full[: full.index("conversation")]
    assert stopped.choices[0].finish_reason == CompletionsFinishReason.STOPPED


def test_same_seed_gives_the_same_reply_and_other_seeds_vary_it(chat):
    messages = [UserMessage("Name a colour for a kitchen wall.")]
    first = chat.complete(messages=messages, seed=42).choices[0].message.content
    again = chat.complete(messages=messages, seed=42).choices[0].message.content
    variants = {chat.complete(messages=messages, seed=s).choices[0].message.content for s in range(4)}

    assert first == again
    assert len(variants) > 1


def test_client_level_defaults_are_merged_into_calls_and_per_call_values_win(local_server):
    sent: list[dict] = []

    def capture(request):
        sent.append(json.loads(request.http_request.content))

    with ChatCompletionsClient(
        endpoint=local_server.url, credential=AzureKeyCredential(API_KEY), temperature=0.25, max_tokens=3
    ) as client:
        messages = [UserMessage("Explain how tides work in a few sentences.")]
        defaulted = client.complete(messages=messages, raw_request_hook=capture)
        overridden = client.complete(messages=messages, max_tokens=5, temperature=0.9, raw_request_hook=capture)

    assert defaulted.choices[0].finish_reason == CompletionsFinishReason.TOKEN_LIMIT_REACHED
    assert defaulted.usage.completion_tokens == 3
    assert overridden.usage.completion_tokens == 5
    assert (sent[0]["temperature"], sent[0]["max_tokens"]) == (0.25, 3)
    assert (sent[1]["temperature"], sent[1]["max_tokens"]) == (0.9, 5)


def test_model_extras_are_sent_at_the_root_with_the_pass_through_header_and_accepted(chat):
    seen = {}

    def capture(request):
        seen["headers"] = dict(request.http_request.headers)
        seen["body"] = json.loads(request.http_request.content)

    result = chat.complete(
        messages=[UserMessage("How many feet are in a mile?")], model_extras={"n": 1, "safe_mode": True},
        raw_request_hook=capture,
    )

    assert seen["headers"]["extra-parameters"] == "pass-through"
    assert seen["body"]["n"] == 1 and seen["body"]["safe_mode"] is True
    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED


def test_unknown_root_key_without_model_extras_is_rejected_with_422(chat):
    with pytest.raises(HttpResponseError) as caught:
        chat.complete(body={"messages": [{"role": "user", "content": "hi"}], "safe_mode": True})

    assert caught.value.status_code == 422
    assert "safe_mode" in caught.value.message
    assert "pass-through" in caught.value.message


# -- tools --------------------------------------------------------------------------------------------


def test_two_tool_calls_come_back_in_one_non_streamed_reply(chat):
    result = chat.complete(messages=[UserMessage(TWO_TOOL_PROMPT)], tools=[WEATHER_TOOL, CALCULATOR_TOOL])

    choice = result.choices[0]
    assert choice.finish_reason == CompletionsFinishReason.TOOL_CALLS
    calls = choice.message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "calculate"]
    assert json.loads(calls[0].function.arguments) == {"city": "Seattle"}
    assert json.loads(calls[1].function.arguments) == {"expression": "12*7"}
    assert len({c.id for c in calls}) == 2 and all(c.id for c in calls)


def test_streamed_tool_call_deltas_assemble_by_index_into_the_non_streamed_calls(chat):
    messages = [UserMessage(TWO_TOOL_PROMPT)]
    tools = [WEATHER_TOOL, CALCULATOR_TOOL]
    whole = chat.complete(messages=messages, tools=tools).choices[0].message.tool_calls

    assembled: dict[int, dict] = {}
    finish_reasons = []
    for update in chat.complete(messages=messages, tools=tools, stream=True):
        if not update.choices:
            continue
        finish_reasons.append(update.choices[0].finish_reason)
        for delta in update.choices[0].delta.tool_calls or []:
            call = assembled.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.get("id") or ""
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""

    assert sorted(assembled) == [0, 1]
    assert [assembled[i]["name"] for i in (0, 1)] == [c.function.name for c in whole]
    assert [json.loads(assembled[i]["arguments"]) for i in (0, 1)] == [json.loads(c.function.arguments) for c in whole]
    assert [assembled[i]["id"] for i in (0, 1)] == [c.id for c in whole]
    assert finish_reasons[-1] == CompletionsFinishReason.TOOL_CALLS


def test_tool_results_sent_back_produce_a_text_answer_containing_them(chat):
    tools = [WEATHER_TOOL, CALCULATOR_TOOL]
    first = chat.complete(messages=[UserMessage(TWO_TOOL_PROMPT)], tools=tools).choices[0].message
    calls = [
        ChatCompletionsToolCall(id=c.id, function=FunctionCall(name=c.function.name, arguments=c.function.arguments))
        for c in first.tool_calls
    ]
    results = {"get_weather": "Rainy, 11 degrees", "calculate": "84"}

    answer = chat.complete(
        messages=[
            UserMessage(TWO_TOOL_PROMPT),
            AssistantMessage(tool_calls=calls),
            *[ToolMessage(results[c.function.name], tool_call_id=c.id) for c in calls],
        ],
        tools=tools,
    )

    assert answer.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert not answer.choices[0].message.tool_calls
    assert "84" in answer.choices[0].message.content
    assert "Rainy, 11 degrees" in answer.choices[0].message.content


# -- structured output --------------------------------------------------------------------------------


def test_json_schema_response_format_returns_content_that_validates(chat):
    result = chat.complete(
        messages=[UserMessage("What's the distance between Seattle and Portland, as the crow flies?")],
        response_format=JsonSchemaFormat(name="Distances", schema=DISTANCE_SCHEMA, strict=True),
    )

    value = json.loads(result.choices[0].message.content)
    jsonschema.validate(value, DISTANCE_SCHEMA)
    assert value["distances"]


def test_json_object_response_format_returns_a_json_object(chat):
    result = chat.complete(messages=[UserMessage("Answer in JSON please.")], response_format="json_object")

    value = json.loads(result.choices[0].message.content)
    # The local model's JSON mode: its usual reply, and how many words the question had.
    assert set(value) == {"reply", "words"}
    assert value["reply"].startswith('You said: "Answer in JSON please."') and value["words"] == 4
    assert result.choices[0].finish_reason == "stop"


# -- attachments --------------------------------------------------------------------------------------


def test_image_data_url_part_is_decoded_and_described(chat, tmp_path):
    path = tmp_path / "tiny.png"
    path.write_bytes(png_bytes(2, 3))

    result = chat.complete(
        messages=[
            UserMessage(
                [
                    TextContentItem(text="What is in this image?"),
                    ImageContentItem(image_url=ImageUrl.load(image_file=str(path), image_format="png", detail="low")),
                ]
            )
        ]
    )

    content = result.choices[0].message.content
    assert "2x3" in content
    assert "PNG" in content


def test_remote_image_url_is_named_but_never_fetched(chat):
    with Canary() as canary:
        result = chat.complete(
            messages=[
                UserMessage(
                    [
                        TextContentItem(text="Describe both images."),
                        ImageContentItem(image_url=ImageUrl(url="https://example.com/juggling-balls.png")),
                        ImageContentItem(image_url=ImageUrl(url=f"{canary.url}/canary.png")),
                    ]
                )
            ]
        )

    content = result.choices[0].message.content
    assert "example.com" in content
    assert "not fetch" in content
    assert canary.hits == []


def test_audio_part_is_accepted_and_described(chat, tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(wav_bytes(0.5))

    result = chat.complete(
        messages=[
            UserMessage(
                [
                    TextContentItem(text="Transcribe this."),
                    AudioContentItem(input_audio=InputAudio.load(audio_file=str(path), audio_format=AudioContentFormat.WAV)),
                ]
            )
        ]
    )

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert "0.5 second wav audio clip" in result.choices[0].message.content


# -- embeddings ---------------------------------------------------------------------------------------

def test_base64_embeddings_decode_to_the_float_embeddings(embed):
    floats = embed.embed(input=PHRASES)
    encoded = embed.embed(input=PHRASES, encoding_format=EmbeddingEncodingFormat.BASE64)

    assert [d.index for d in floats.data] == [0, 1, 2]
    for as_floats, as_base64 in zip(floats.data, encoded.data, strict=True):
        assert isinstance(as_base64.embedding, str)
        decoded = decode_base64_floats(as_base64.embedding)
        np.testing.assert_allclose(decoded, np.asarray(as_floats.embedding), atol=1e-6)
    assert floats.usage.prompt_tokens == 6


def test_dimensions_are_honoured(embed):
    default = embed.embed(input=["a lighthouse on a rock"])
    small = embed.embed(input=["a lighthouse on a rock"], dimensions=64)

    assert len(default.data[0].embedding) == 384
    assert len(small.data[0].embedding) == 64
    assert np.linalg.norm(small.data[0].embedding) == pytest.approx(1.0, abs=1e-5)


def test_identical_texts_have_cosine_one_and_shared_words_score_above_unrelated(embed):
    texts = ["the red apple pie recipe", "the red apple pie recipe", "red apple tart", "quantum tunnelling microscope"]
    vectors = [d.embedding for d in embed.embed(input=texts).data]

    assert cosine(vectors[0], vectors[1]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(vectors[0], vectors[2]) > cosine(vectors[0], vectors[3]) + 0.2


def test_image_embeddings_from_a_file_and_from_a_data_url(local_server, tmp_path):
    path = tmp_path / "red.png"
    path.write_bytes(png_bytes(20, 10, (200, 30, 30)))
    with ImageEmbeddingsClient(endpoint=local_server.url, credential=AzureKeyCredential(API_KEY)) as client:
        result = client.embed(
            input=[
                ImageEmbeddingInput.load(image_file=str(path), image_format="png"),
                ImageEmbeddingInput(image=png_data_url(20, 10, (200, 30, 30))),
                ImageEmbeddingInput(image=png_data_url(20, 10, (40, 80, 200))),
            ]
        )

    vectors = [d.embedding for d in result.data]
    assert result.model == "local-image-embed"
    assert [len(v) for v in vectors] == [512, 512, 512]
    assert cosine(vectors[0], vectors[1]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(vectors[0], vectors[2]) < 0.9


# -- model info, load_client, endpoint styles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("client_class", "model", "model_type"),
    [
        (ChatCompletionsClient, "local-chat", "chat-completion"),
        (EmbeddingsClient, "local-embed", "embedding"),
        (ImageEmbeddingsClient, "local-image-embed", "image_embeddings"),
    ],
)
def test_get_model_info_describes_each_serverless_model(local_server, client_class, model, model_type):
    with client_class(endpoint=local_server.endpoint("serverless", model), credential=AzureKeyCredential(API_KEY)) as c:
        info = c.get_model_info()

    assert info.model_name == model
    assert info.model_type == model_type
    assert info.model_provider_name


@pytest.mark.parametrize(
    ("model", "client_class"),
    [
        ("local-chat", ChatCompletionsClient),
        ("local-embed", EmbeddingsClient),
        ("local-image-embed", ImageEmbeddingsClient),
    ],
)
def test_load_client_picks_the_client_class_from_model_info(local_server, model, client_class):
    client = load_client(endpoint=local_server.endpoint("serverless", model), credential=AzureKeyCredential(API_KEY))
    with client:
        assert type(client) is client_class


@pytest.mark.parametrize("style", ["root", "serverless"])
def test_chat_works_on_root_and_serverless_endpoints(local_server, style):
    before = len(local_server.state.requests)
    endpoint = local_server.endpoint(style, "local-chat")
    with ChatCompletionsClient(endpoint=endpoint, credential=AzureKeyCredential(API_KEY)) as client:
        result = client.complete(messages=[UserMessage("Hello from an endpoint test")])

    assert result.model == "local-chat"
    (record,) = records_since(local_server, before)
    assert (record.style, record.status, record.model) == (style, 200, "local-chat")


def test_models_endpoint_requires_the_model_name(local_server):
    with ChatCompletionsClient(endpoint=local_server.endpoint("models"), credential=AzureKeyCredential(API_KEY)) as c:
        result = c.complete(messages=[UserMessage("Hello Foundry")], model="local-chat")
        with pytest.raises(HttpResponseError) as caught:
            c.complete(messages=[UserMessage("Hello Foundry")])

    assert result.model == "local-chat"
    assert caught.value.status_code == 400
    assert caught.value.error.code == "no_model_name"


def test_models_endpoint_serves_embeddings_by_model_name(local_server):
    with EmbeddingsClient(endpoint=local_server.endpoint("models"), credential=AzureKeyCredential(API_KEY)) as c:
        result = c.embed(input=["hello"], model="local-embed")

    assert result.model == "local-embed"


def test_azure_openai_deployment_endpoint_chats_but_has_no_model_info(local_server):
    urls = []
    endpoint = local_server.endpoint("openai", "local-chat")
    with ChatCompletionsClient(
        endpoint=endpoint, credential=AzureKeyCredential(API_KEY), api_version="2024-06-01"
    ) as client:
        result = client.complete(
            messages=[UserMessage("Hello Azure OpenAI")], raw_request_hook=lambda r: urls.append(r.http_request.url)
        )
        with pytest.raises(ResourceNotFoundError):
            client.get_model_info()

    assert result.choices[0].message.content
    assert urls == [f"{endpoint}/chat/completions?api-version=2024-06-01"]


def test_load_client_on_an_azure_openai_endpoint_raises_resource_not_found(local_server):
    with pytest.raises(ResourceNotFoundError):
        load_client(
            endpoint=local_server.endpoint("openai", "local-chat"),
            credential=AzureKeyCredential(API_KEY),
            api_version="2024-06-01",
        )


# -- auth ---------------------------------------------------------------------------------------------


def test_the_right_key_is_accepted(keyed_server):
    with ChatCompletionsClient(endpoint=keyed_server.url, credential=AzureKeyCredential(TEST_API_KEY)) as client:
        result = client.complete(messages=[UserMessage("Am I allowed in?")])

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED


def test_a_wrong_key_raises_client_authentication_error(keyed_server):
    with EmbeddingsClient(endpoint=keyed_server.url, credential=AzureKeyCredential("wrong-key")) as client:
        with pytest.raises(ClientAuthenticationError) as caught:
            client.embed(input=["first phrase"])

    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{"api-key": TEST_API_KEY}, {"Authorization": f"Bearer {TEST_API_KEY}"}],
    ids=["api-key-only", "bearer-only"],
)
def test_either_auth_header_alone_is_enough(keyed_server, headers):
    response = httpx.post(
        f"{keyed_server.url}/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers=headers,
    )

    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"


def test_no_auth_header_gets_the_serverless_401_body(keyed_server):
    response = httpx.post(f"{keyed_server.url}/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})

    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "Auth token validation failed. Please provide a valid key or a valid AAD token",
    }
    assert response.headers["x-ms-error-reason"] == "Invalid JWT."


# -- faults: errors, retries and cut streams ------------------------------------------------------------


class SleepRecordingTransport(RequestsTransport):
    """azure-core's sync transport (what the SDK uses by default), except that the waits RetryPolicy asks
    it for (`transport.sleep`) are recorded instead of slept: the retries run at once, the delays are checked."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.slept: list[float] = []

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)


@pytest.fixture
def recorded_chat(local_server):
    transport = SleepRecordingTransport()
    with ChatCompletionsClient(endpoint=local_server.url, credential=AzureKeyCredential(API_KEY), transport=transport) as client:
        yield client, transport


def test_429_with_retry_after_is_retried_by_azure_core_then_raised(local_server, recorded_chat):
    chat, transport = recorded_chat
    before = len(local_server.state.requests)
    with pytest.raises(HttpResponseError) as caught:
        chat.complete(messages=[UserMessage(unique("Busy? /fault 429"))])

    assert caught.value.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    assert [r.status for r in records_since(local_server, before)] == [429, 429, 429, 429]
    assert transport.slept == [1, 1, 1]  # three waits of Retry-After: 1 s, not the back-off factor (0.8 s doubling)


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_three_times_then_raised(local_server, fast_retry_chat, status):
    before = len(local_server.state.requests)
    with pytest.raises(HttpResponseError) as caught:
        fast_retry_chat.complete(messages=[UserMessage(unique(f"Broken? /fault {status}"))])

    assert caught.value.status_code == status
    assert [r.status for r in records_since(local_server, before)] == [status] * 4


def test_401_fault_raises_client_authentication_error_without_retry(local_server, fast_retry_chat):
    before = len(local_server.state.requests)
    with pytest.raises(ClientAuthenticationError):
        fast_retry_chat.complete(messages=[UserMessage(unique("Who am I? /fault 401"))])

    assert [r.status for r in records_since(local_server, before)] == [401]


def test_filter_fault_raises_http_response_error_with_content_filter_code(fast_retry_chat):
    with pytest.raises(HttpResponseError) as caught:
        fast_retry_chat.complete(messages=[UserMessage(unique("Something nasty /fault filter"))])

    assert caught.value.status_code == 400
    assert caught.value.error.code == "content_filter"


def test_cut_stream_raises_response_ended_prematurely_after_the_tokens_received(chat):
    received = []
    with pytest.raises(HttpResponseError, match="Response ended prematurely"):
        for update in chat.complete(messages=[UserMessage("Tell me a story /fault cut:3")], stream=True):
            received.append(update.choices[0].delta.content)

    # cut:3 = the role chunk and two content tokens got through before the connection dropped
    assert received == ["", "You", " said:"]


def test_stream_without_done_just_stops_without_a_finish_reason(chat):
    updates = list(chat.complete(messages=[UserMessage("Tell me a story /fault nodone")], stream=True))

    assert "".join(u.choices[0].delta.content or "" for u in updates).startswith('You said: "Tell me a story"')
    assert all(u.choices[0].finish_reason is None for u in updates)
    assert all(u.usage is None for u in updates)


def test_429_once_then_the_retry_succeeds(local_server, recorded_chat):
    chat, transport = recorded_chat
    before = len(local_server.state.requests)

    result = chat.complete(messages=[UserMessage(unique("Busy just once? /fault 429x1"))])

    assert result.choices[0].finish_reason == CompletionsFinishReason.STOPPED
    assert [r.status for r in records_since(local_server, before)] == [429, 200]
    assert transport.slept == [1]  # the Retry-After, once
