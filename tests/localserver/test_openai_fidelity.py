"""Replays real OpenAI API exchanges (tests/fixtures/openai-recordings/, see its README) against the
local server's `/openai/v1` and compares shapes, not values.

Each recorded request body is sent as recorded (the server answers the recorded model names with its
local models). The local answer must have the recorded status, and JSON with the same keys at every
level with values of the same JSON type; for streams, the same sequence of chunk kinds (a run of
repeated deltas counts as one step), chunks keyed like the recorded ones, `data: [DONE]` last, and
deltas that add up to what was sent. Exceptions are named here, each with its reason, and nothing else
is forgiven: a null where the recording has a value (or the reverse) is a difference unless the key is
listed.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

import httpx
import pytest

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "openai-recordings"

# Keys the recordings carry that the local server leaves out.
MAY_BE_ABSENT = {
    "obfuscation": "random padding newer API versions add to streamed chunks; optional (stream_options.include_obfuscation)",
}
# Keys whose value the API sends as null for some models and as a value for others.
NULL_OR_VALUE = {
    "system_fingerprint": "null for gpt-5-nano (chat_completions_structured_output.json), a string for gpt-4o-mini",
}


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_differences(recorded, local, path: str = "$") -> list[str]:
    """Where `local` is not shaped like `recorded`; an empty list means the same structure."""
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if (recorded is None) != (local is None):
        if key in NULL_OR_VALUE:
            return []
        return [f"{path}: recorded {_kind(recorded)}, local {_kind(local)}"]
    if _kind(recorded) != _kind(local):
        return [f"{path}: recorded {_kind(recorded)}, local {_kind(local)}"]
    differences = []
    if isinstance(recorded, dict):
        for name in sorted(recorded.keys() - local.keys()):
            if name not in MAY_BE_ABSENT:
                differences.append(f"{path}.{name}: in the recording, missing locally")
        for name in sorted(local.keys() - recorded.keys()):
            differences.append(f"{path}.{name}: sent locally, not in the recording")
        for name in sorted(recorded.keys() & local.keys()):
            differences += shape_differences(recorded[name], local[name], f"{path}.{name}")
    elif isinstance(recorded, list) and recorded:
        if not local:
            differences.append(f"{path}: recorded a non-empty list, local list is empty")
        for item in local:
            differences += shape_differences(recorded[0], item, f"{path}[]")
    return differences


def test_shape_differences_catches_what_it_should():
    """The comparison itself: a missing key, an extra key, a type change and a null are all differences."""
    assert shape_differences({"a": 1, "b": {"c": "x"}}, {"a": 2, "b": {"c": "y"}}) == []
    assert shape_differences({"a": 1}, {}) == ["$.a: in the recording, missing locally"]
    assert shape_differences({}, {"a": 1}) == ["$.a: sent locally, not in the recording"]
    assert shape_differences({"a": 1}, {"a": "1"}) == ["$.a: recorded number, local str"]
    assert shape_differences({"a": {"b": 1}}, {"a": None}) == ["$.a: recorded dict, local null"]
    assert shape_differences({"a": None}, {"a": 0}) == ["$.a: recorded null, local number"]
    assert shape_differences({"system_fingerprint": None}, {"system_fingerprint": "fp"}) == []
    assert shape_differences({"obfuscation": "x"}, {}) == []


def interactions(name: str) -> list[dict]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))["interactions"]


def replay(server, request: dict, body: dict | None = None) -> httpx.Response:
    path = request["path"].removeprefix("/v1")
    return httpx.post(f"{server.url}/openai/v1{path}", json=body if body is not None else request["body"], timeout=30)


def _chunk_kind(chunk: dict) -> str:
    if not chunk["choices"]:
        return "usage"
    choice = chunk["choices"][0]
    delta = choice["delta"]
    if choice["finish_reason"] is not None:
        return "finish"
    if "role" in delta:
        return "role+tool_call" if delta.get("tool_calls") else "role"
    if delta.get("tool_calls"):
        return "tool_call_start" if delta["tool_calls"][0].get("id") else "tool_call_arguments"
    return "content"


def stream_chunks(response: httpx.Response) -> tuple[list[dict], str]:
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [event for event in response.text.split("\n\n") if event.strip()]
    assert all(event.startswith("data: ") and "\n" not in event for event in events), "one data: line per event"
    return [json.loads(event[6:]) for event in events[:-1]], events[-1][6:]


def assert_stream_matches(recorded_sse: list[dict], response: httpx.Response) -> list[dict]:
    recorded = [event["data"] for event in recorded_sse if event["data"] != "[DONE]"]
    assert recorded_sse[-1]["data"] == "[DONE]" and all(event["event"] is None for event in recorded_sse)
    local, last = stream_chunks(response)
    assert last == "[DONE]"
    steps = lambda chunks: [kind for kind, _ in groupby(_chunk_kind(chunk) for chunk in chunks)]  # noqa: E731
    assert steps(local) == steps(recorded)
    for kind in set(steps(recorded)):
        example = next(chunk for chunk in recorded if _chunk_kind(chunk) == kind)
        for chunk in (c for c in local if _chunk_kind(c) == kind):
            assert shape_differences(example, chunk) == [], kind
    return local


def test_streaming_with_usage(local_server):
    (exchange,) = interactions("chat_completions_streaming_usage.json")
    response = replay(local_server, exchange["request"])
    assert response.status_code == exchange["response"]["status"]
    local = assert_stream_matches(exchange["response"]["sse"], response)
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in local if chunk["choices"])
    usage = local[-1]["usage"]
    assert text and usage["completion_tokens"] == sum(1 for c in local if _chunk_kind(c) == "content" and c["choices"][0]["delta"]["content"])


def test_streaming_tool_call(local_server):
    # The recorded requests carry no stream_options although usage was streamed (see the file's note):
    # the replay asks for usage, so that the recorded sequence (which ends with a usage chunk) applies.
    for exchange in interactions("chat_completions_streaming_tool_call.json"):
        body = {**exchange["request"]["body"], "stream_options": {"include_usage": True}}
        response = replay(local_server, exchange["request"], body)
        assert response.status_code == exchange["response"]["status"]
        local = assert_stream_matches(exchange["response"]["sse"], response)
        arguments = "".join(
            call["function"].get("arguments") or "" for chunk in local if chunk["choices"] for call in chunk["choices"][0]["delta"].get("tool_calls") or []
        )
        assert json.loads(arguments) == {"name": "Erick", "age": 27}


@pytest.mark.parametrize("name", ["chat_completions_structured_output.json", "embeddings_base64.json"])
def test_json_answers_are_shaped_like_the_recordings(local_server, name):
    for exchange in interactions(name):
        response = replay(local_server, exchange["request"])
        assert response.status_code == exchange["response"]["status"]
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-request-id"]  # recorded by name on every response
        assert shape_differences(exchange["response"]["body"], response.json()) == []


def test_structured_output_satisfies_the_recorded_schema(local_server):
    (exchange,) = interactions("chat_completions_structured_output.json")
    content = replay(local_server, exchange["request"]).json()["choices"][0]["message"]["content"]
    import jsonschema

    jsonschema.validate(json.loads(content), exchange["request"]["body"]["response_format"]["json_schema"]["schema"])
