"""Replays real Azure exchanges (tests/fixtures/azure-recordings/) against the local server and compares.

Each recorded request is sent again, with httpx, as recorded (method, headers the SDK sent, body) except
that the route is mapped onto the matching local endpoint style: a serverless host
(`*.models.ai.azure.com`) becomes `/serverless/<local model of the same kind>`, the Azure OpenAI host
becomes `/openai/deployments/local-chat`. Then the local answer must match the recorded one in status
code, media type and the JSON key structure at every level (same keys in every object, same kind of
value, list items shaped like the recorded items); for SSE also the framing.

What the local server legitimately does differently is listed here, each with the reason:
- Values differ (text, ids, token counts, vector sizes, model names): it is a different model.
- The keys in `PROVIDER_ONLY_KEYS` are annotations one provider adds on top of the API the SDK models.
- A key the recording carries with the value null may be absent locally (`NULL_MAY_BE_ABSENT`).
- Mistral's stream has extra bare `\\n\\n` pieces between events; the local stream sends one
  `data: ...\\n\\n` per event, which is what the SDK's SSE parser reads and what both parse to.
- The image-URL recording points at a remote https image; the local server never fetches remote URLs,
  so the replay sends the same request with the recorded 75x41 PNG (from image_embeddings.json) inlined
  as a data URL.
- The Azure OpenAI `api-version` is sanitized in the recordings (`yyyy-mm-dd-preview`); the replay sends
  `2024-06-01`, a real Azure OpenAI version.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jsonschema
import numpy as np
import pytest

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "azure-recordings"

# Keys present in the recordings but not sent by the local server. None of them is part of the
# Azure AI Model Inference response schema the SDK deserializes into typed fields.
PROVIDER_ONLY_KEYS = {
    "content_filter_results": "Azure OpenAI content-safety annotations per choice; local-chat runs no filter",
    "prompt_filter_results": "Azure OpenAI content-safety annotations of the prompt",
    "system_fingerprint": "OpenAI backend build id; there is no backend fleet locally",
    "logprobs": "always null in the recordings (no logprobs requested); Mistral and Azure OpenAI send it anyway",
    "refusal": "Azure OpenAI structured-output refusal (null); local-chat never refuses",
    "completion_tokens_details": "Azure OpenAI token breakdown (reasoning/audio/prediction tokens)",
    "prompt_tokens_details": "Azure OpenAI token breakdown (cached/audio tokens)",
    "call_id": "Mistral adds `call_id: null` inside a tool call's `function`; not in the OpenAI/Azure schema",
}
# Keys recorded with the value null that the local server leaves out; the SDK reads absent and null alike.
NULL_MAY_BE_ABSENT = {
    "tool_calls": "Mistral sends `tool_calls: null` on text answers; Azure OpenAI and the local server omit it",
}
# Keys that are null in one reply and a value in another, each as the API documents it.
NULL_OR_VALUE = {
    "$.choices[].message.content": 'next to tool calls: null from Azure OpenAI and the local server, "" from Mistral',
}
# Cohere's embeddings usage carries `completion_tokens: 0`; the SDK's EmbeddingsUsage (and the REST reference) have
# only prompt_tokens and total_tokens. Allowed only at this path (chat usage must have completion_tokens).
EMBEDDINGS_USAGE_EXTRA = {"$.usage.completion_tokens": "Cohere-only field of embeddings usage"}

AZURE_OPENAI_API_VERSION = "2024-06-01"
REPLAYED_HEADERS = ("Accept", "Content-Type", "api-key", "extra-parameters", "User-Agent")


def entries(name: str) -> list[dict]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))["Entries"]


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def local_url(server, entry: dict, endpoint_model: str) -> str:
    uri = urlsplit(entry["RequestUri"])
    query = [
        (name, AZURE_OPENAI_API_VERSION if value == "yyyy-mm-dd-preview" else value)
        for name, value in parse_qsl(uri.query)
    ]
    if uri.path.startswith("/openai/deployments/"):
        route = uri.path.split("/", 4)[4]  # drop /openai/deployments/<deployment>/
        base = server.endpoint("openai", "local-chat")
    else:
        route = uri.path.lstrip("/")
        base = server.endpoint("serverless", endpoint_model)
    return f"{base}/{route}?{urlencode(query)}"


def request_args(server, entry: dict, endpoint_model: str, body=None) -> dict:
    body = entry["RequestBody"] if body is None else body
    return {
        "method": entry["RequestMethod"],
        "url": local_url(server, entry, endpoint_model),
        "headers": {k: v for k, v in entry["RequestHeaders"].items() if k in REPLAYED_HEADERS},
        "content": None if body is None else json.dumps(body).encode("utf-8"),
    }


def replay(server, entry: dict, endpoint_model: str, body=None) -> httpx.Response:
    return httpx.request(**request_args(server, entry, endpoint_model, body), timeout=30)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_differences(recorded, local, path: str = "$", allowed: dict[str, str] | None = None) -> list[str]:
    """Where `local` is not shaped like `recorded`; an empty list means same structure."""
    allowed = {**PROVIDER_ONLY_KEYS, **(allowed or {})}
    if recorded is None and local is None:
        return []
    if recorded is None or local is None:
        if path in NULL_OR_VALUE:
            return []
        return [f"{path}: recorded {_kind(recorded)}, local {_kind(local)}"]
    if _kind(recorded) != _kind(local):
        return [f"{path}: recorded {_kind(recorded)}, local {_kind(local)}"]
    differences = []
    if isinstance(recorded, dict):
        for key in sorted(recorded.keys() - local.keys()):
            if key in allowed or f"{path}.{key}" in allowed or (recorded[key] is None and key in NULL_MAY_BE_ABSENT):
                continue
            differences.append(f"{path}.{key}: in the recording, missing locally")
        for key in sorted(local.keys() - recorded.keys()):
            differences.append(f"{path}.{key}: sent locally, not in the recording")
        for key in sorted(recorded.keys() & local.keys()):
            differences += shape_differences(recorded[key], local[key], f"{path}.{key}", allowed)
    elif isinstance(recorded, list):
        if recorded and not local:
            differences.append(f"{path}: recorded a non-empty list, local list is empty")
        for item in local if recorded else []:
            differences += shape_differences(recorded[0], item, f"{path}[]", allowed)
    return differences


def assert_matches_recording(entry: dict, response: httpx.Response, allowed: dict[str, str] | None = None) -> None:
    assert response.status_code == entry["StatusCode"], response.text
    assert media_type(response.headers["content-type"]) == media_type(entry["ResponseHeaders"]["Content-Type"])
    recorded = entry["ResponseBody"]
    if isinstance(recorded, str):
        assert response.text == recorded
        return
    assert shape_differences(recorded, response.json(), allowed=allowed) == []


def recorded_png_data_url() -> str:
    return entries("image_embeddings.json")[0]["RequestBody"]["input"][0]["image"]


# -- the comparison itself must be able to fail --------------------------------------------------------


def test_shape_comparison_reports_missing_extra_and_retyped_keys():
    recorded = {"a": 1, "b": {"c": "x"}, "items": [{"k": 1}], "content_filter_results": {}, "tool_calls": None}
    local = {"a": "1", "b": {"c": "x", "d": 2}, "items": [{"k": 1}, {"j": 2}]}

    assert shape_differences(recorded, local) == [
        "$.a: recorded number, local str",
        "$.b.d: sent locally, not in the recording",
        "$.items[].k: in the recording, missing locally",
        "$.items[].j: sent locally, not in the recording",
    ]


# -- chat ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1], ids=["first-turn", "follow-up-turn"])
def test_multi_turn_chat_matches_the_recording(local_server, index):
    entry = entries("chat_completions_multi_turn.json")[index]

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    last_question = entry["RequestBody"]["messages"][-1]["content"]
    assert last_question in response.json()["choices"][0]["message"]["content"]


def test_streaming_chat_matches_the_recorded_framing_and_chunks(local_server):
    entry = entries("chat_completions_streaming.json")[0]
    # The recorder split Mistral's stream into pieces, with bare "\n\n" pieces between events.
    recorded_events = [piece for piece in entry["ResponseBody"] if piece != "\n\n"]
    assert all(piece.startswith("data: ") and piece.endswith("\n\n") for piece in recorded_events)
    recorded_chunks = [json.loads(piece[6:]) for piece in recorded_events[:-1]]

    with httpx.stream(**request_args(local_server, entry, "local-chat")) as response:
        raw = b"".join(response.iter_raw()).decode("utf-8")
        headers = response.headers

    assert response.status_code == entry["StatusCode"]
    assert media_type(headers["content-type"]) == media_type(entry["ResponseHeaders"]["Content-Type"])
    assert headers["transfer-encoding"] == entry["ResponseHeaders"]["Transfer-Encoding"] == "chunked"
    events = [event + "\n\n" for event in raw.split("\n\n")[:-1]]
    assert "".join(events) == raw
    assert all(event.startswith("data: ") and "\n" not in event[:-2] for event in events)
    assert events[-1] == recorded_events[-1] == "data: [DONE]\n\n"
    chunks = [json.loads(event[6:]) for event in events[:-1]]
    # first chunk (role), content chunks, last chunk (finish_reason + usage): each shaped like its recorded peer
    assert shape_differences(recorded_chunks[0], chunks[0]) == []
    for chunk in chunks[1:-1]:
        assert shape_differences(recorded_chunks[1], chunk) == []
    assert shape_differences(recorded_chunks[-1], chunks[-1]) == []
    for sequence in (recorded_chunks, chunks):
        assert sequence[-1]["choices"][0]["finish_reason"] == "stop"
        assert set(sequence[-1]["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
        assert all("usage" not in chunk for chunk in sequence[:-1])


def test_model_extras_with_pass_through_match_the_recording(local_server):
    entry = entries("chat_completions_with_model_extras.json")[0]
    assert entry["RequestHeaders"]["extra-parameters"] == "pass-through" and entry["RequestBody"]["n"] == 1

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)


def test_model_extras_without_the_header_are_refused(local_server):
    # The recording only shows the accepted request; Azure refuses unknown keys without the header (422).
    entry = copy.deepcopy(entries("chat_completions_with_model_extras.json")[0])
    del entry["RequestHeaders"]["extra-parameters"]

    response = replay(local_server, entry, "local-chat")

    assert response.status_code == 422
    assert response.json()["code"] == "parameter_not_supported"


@pytest.mark.parametrize("index", [1, 3], ids=["tool-call", "answer-from-tool-result"])
def test_tool_call_exchanges_match_the_recording(local_server, index):
    entry = entries("chat_completions_with_tool.json")[index]

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    recorded_choice, local_choice = entry["ResponseBody"]["choices"][0], response.json()["choices"][0]
    assert local_choice["finish_reason"] == recorded_choice["finish_reason"]
    if index == 1:
        assert [c["function"]["name"] for c in local_choice["message"]["tool_calls"]] == ["get_max_temperature"]
        assert set(json.loads(local_choice["message"]["tool_calls"][0]["function"]["arguments"])) == {"city", "days"}
    else:
        assert "62" in local_choice["message"]["content"]


def test_service_unavailable_fault_matches_the_recorded_503(local_server):
    # The recording's 503 ("Model has no capacity") is what `/fault 503` imitates.
    entry = copy.deepcopy(entries("chat_completions_with_tool.json")[0])
    entry["RequestBody"]["messages"][-1]["content"] += " /fault 503"

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    assert response.json() == entry["ResponseBody"]


def test_image_url_chat_matches_the_recording_with_the_image_inlined(local_server):
    entry = entries("chat_completions_with_input_image_url.json")[0]
    body = copy.deepcopy(entry["RequestBody"])
    image_part = body["messages"][1]["content"][1]
    assert image_part["image_url"]["url"].startswith("https://")
    image_part["image_url"]["url"] = recorded_png_data_url()

    response = replay(local_server, entry, "local-chat", body=body)

    assert_matches_recording(entry, response)
    assert "75x41 PNG" in response.json()["choices"][0]["message"]["content"]


def test_structured_output_on_azure_openai_matches_the_recording(local_server):
    entry = entries("aoai_chat_completions_with_structured_output.json")[0]
    schema = entry["RequestBody"]["response_format"]["json_schema"]["schema"]
    jsonschema.validate(json.loads(entry["ResponseBody"]["choices"][0]["message"]["content"]), schema)

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    jsonschema.validate(json.loads(response.json()["choices"][0]["message"]["content"]), schema)


def test_chat_auth_failure_matches_the_recording(keyed_server):
    entry = entries("chat_completion_with_auth_failure.json")[0]  # sends the sanitized, hence wrong, key

    response = replay(keyed_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    assert response.json() == entry["ResponseBody"]
    assert response.headers["x-ms-error-reason"] == entry["ResponseHeaders"]["x-ms-error-reason"]


@pytest.mark.asyncio
async def test_async_embeddings_auth_failure_matches_the_recording(keyed_server):
    entry = entries("async_embeddings_with_auth_failure.json")[0]

    async with httpx.AsyncClient() as client:
        response = await client.request(**request_args(keyed_server, entry, "local-embed"))

    assert_matches_recording(entry, response)
    assert response.json() == entry["ResponseBody"]


# -- model info ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recording", "endpoint_model", "model_type"),
    [
        ("get_model_info_on_chat_client.json", "local-chat", "chat-completion"),
        ("get_model_info_on_embeddings_client.json", "local-embed", "embedding"),
        # Cohere's image endpoint calls itself "embedding"; local-image-embed says "image_embeddings", the
        # other value load_client() accepts, so that load_client returns an ImageEmbeddingsClient for it.
        ("get_model_info_on_image_embeddings_client.json", "local-image-embed", "image_embeddings"),
    ],
)
def test_model_info_matches_the_recording(local_server, recording, endpoint_model, model_type):
    entry = entries(recording)[0]

    response = replay(local_server, entry, endpoint_model)

    assert_matches_recording(entry, response)
    assert response.json()["model_type"] == model_type


@pytest.mark.parametrize("recording", ["get_model_info_on_aoai_endpoint.json", "load_client_on_aoai_endpoint.json"])
def test_model_info_on_azure_openai_is_the_recorded_404(local_server, recording):
    entry = entries(recording)[0]

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    assert response.json() == entry["ResponseBody"]


# -- embeddings ---------------------------------------------------------------------------------------


def test_recorded_base64_embeddings_are_little_endian_float32_of_the_float_ones():
    floats, encoded = entries("embeddings.json")
    for as_floats, as_base64 in zip(floats["ResponseBody"]["data"], encoded["ResponseBody"]["data"], strict=True):
        decoded = np.frombuffer(base64.b64decode(as_base64["embedding"]), dtype="<f4")
        np.testing.assert_allclose(decoded, as_floats["embedding"], atol=1e-6)


@pytest.mark.parametrize("index", [0, 1], ids=["float", "base64"])
def test_embeddings_match_the_recording(local_server, index):
    entry = entries("embeddings.json")[index]

    response = replay(local_server, entry, "local-embed")

    assert_matches_recording(entry, response, allowed=EMBEDDINGS_USAGE_EXTRA)
    data = response.json()["data"]
    assert [d["index"] for d in data] == [0, 1, 2]
    if index == 1:
        # local-embed has 384 dimensions by default, Cohere's embed-english-v3.0 has 1024
        assert all(len(base64.b64decode(d["embedding"])) == 384 * 4 for d in data)


@pytest.mark.parametrize("index", [0, 1], ids=["float", "base64"])
def test_image_embeddings_match_the_recording(local_server, index):
    entry = entries("image_embeddings.json")[index]

    response = replay(local_server, entry, "local-image-embed")

    assert_matches_recording(entry, response, allowed=EMBEDDINGS_USAGE_EXTRA)
    assert response.json()["usage"]["images"] == entry["ResponseBody"]["usage"]["images"] == 1


def test_embeddings_on_a_chat_endpoint_is_the_recorded_plain_not_found(local_server):
    entry = entries("embeddings_on_chat_completion_endpoint.json")[0]

    response = replay(local_server, entry, "local-chat")

    assert_matches_recording(entry, response)
    assert response.text == "NOT FOUND"
