"""Replays real OpenAI API exchanges (tests/fixtures/openai-recordings/, see its README) against the
local server's `/openai/v1` and compares shapes, not values.

Each recorded request body is sent as recorded (the server answers the recorded model names with its
local models). The local answer must have the recorded status, and JSON with the same keys at every
level with values of the same JSON type (in a list of typed items, each local item is compared with a
recorded item of the same `type`); for streams, the same sequence of chunk kinds or event names (a run
of repeated deltas counts as one step), chunks and events keyed like the recorded ones, the recorded
ending, and deltas that add up to what was sent. Exceptions are named here, each with its reason, and
nothing else is forgiven: a null where the recording has a value (or the reverse) is a difference unless
the key is listed.
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
    "billing": "OpenAI's billing payer in 2026 responses; not part of the Azure v1 API",
    "phase": "gpt-5.4 marks messages as commentary or final_answer; older models and the local ones do not",
}
# Keys whose value the API sends as null for some models and as a value for others.
NULL_OR_VALUE = {
    "system_fingerprint": "null for gpt-5-nano (chat_completions_structured_output.json), a string for gpt-4o-mini",
}
# Output item types whose presence depends on what the model thought: a reasoning model writes a
# reasoning item, or none at all (gpt-5.x at its default effort: responses_function_calling.json).
OPTIONAL_ITEM_TYPES = {"reasoning": "a reasoning model's reasoning item is there or not depending on its thinking"}
# Keys the Responses API added after some recordings were made: the local server sends the 2026 set
# (responses_function_calling.json), so the older recordings lack them.
ADDED_LATER = {
    "completed_at": "the time a response completed (2026 recordings)",
    "frequency_penalty": "echoed sampling parameter (2026 recordings)",
    "presence_penalty": "echoed sampling parameter (2026 recordings)",
    "prompt_cache_key": "echoed request field (late-2025 and 2026 recordings)",
    "prompt_cache_retention": "echoed request field (late-2025 and 2026 recordings)",
    "safety_identifier": "echoed request field (late-2025 and 2026 recordings)",
    "top_logprobs": "echoed request field (mid-2025 and later recordings)",
    "max_tool_calls": "echoed request field (mid-2025 and later recordings)",
    "verbosity": "text.verbosity (late-2025 and 2026 recordings)",
    "logprobs": "output_text parts and deltas carry `logprobs: []` (late-2025 and 2026 recordings)",
    "additionalProperties": "function tools are echoed strict, with closed parameter objects (2026 recordings)",
}


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_differences(recorded, local, path: str = "$", extra_ok: frozenset[str] = frozenset()) -> list[str]:
    """Where `local` is not shaped like `recorded`; an empty list means the same structure. Keys in
    `extra_ok` may be sent locally although the recording lacks them."""
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
            if name not in extra_ok:
                differences.append(f"{path}.{name}: sent locally, not in the recording")
        for name in sorted(recorded.keys() & local.keys()):
            differences += shape_differences(recorded[name], local[name], f"{path}.{name}", extra_ok)
    elif isinstance(recorded, list) and recorded:
        if not local:
            differences.append(f"{path}: recorded a non-empty list, local list is empty")
        if all(isinstance(item, dict) and isinstance(item.get("type"), str) for item in recorded):
            examples: dict[str, dict] = {}
            for item in recorded:
                examples.setdefault(item["type"], item)
            for item in local:
                kind = item.get("type") if isinstance(item, dict) else None
                if kind in OPTIONAL_ITEM_TYPES and kind not in examples:
                    continue
                if kind not in examples:
                    differences.append(f"{path}[]: a local item of type {kind!r}, none in the recording")
                else:
                    differences += shape_differences(examples[kind], item, f"{path}[{kind}]", extra_ok)
        else:
            for item in local:
                differences += shape_differences(recorded[0], item, f"{path}[]", extra_ok)
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
    assert shape_differences({}, {"completed_at": 1}) == ["$.completed_at: sent locally, not in the recording"]
    assert shape_differences({}, {"completed_at": 1}, extra_ok=frozenset(ADDED_LATER)) == []
    typed = [{"type": "a", "x": 1}, {"type": "b", "y": "s"}]
    assert shape_differences(typed, [{"type": "b", "y": "t"}]) == []
    assert shape_differences(typed, [{"type": "c"}]) == ["$[]: a local item of type 'c', none in the recording"]
    assert shape_differences(typed, [{"type": "a", "x": "1"}]) == ["$[a].x: recorded number, local str"]


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


# -- the Responses API ----------------------------------------------------------------------------------

RESPONSES_FILES = [
    "responses_text_reasoning_model.json",
    "responses_streaming_text.json",
    "responses_streaming_reasoning_summary.json",
    "responses_function_calling.json",
    "responses_streaming_function_calling.json",
    "responses_function_and_web_search_tools.json",
    "responses_reasoning_summary_phase_and_tool_call.json",
    "responses_structured_output.json",
    "responses_incomplete.json",
]
# Exchanges that cannot be replayed, with the reason (file, interaction index).
NOT_REPLAYED = {
    ("responses_function_and_web_search_tools.json", 2): "the model searched the web; the local models never do",
}
TERMINAL = ("response.completed", "response.incomplete", "response.failed")
# Whether a reasoning model writes a reasoning item, and how many summary parts, depends on what it
# thought: the recordings have items with several parts, with none, and turns with no reasoning item
# at all. So a reasoning item's events are checked against this pattern, and turns are compared
# without them; everything else must follow the recording step by step.
REASONING_ITEM_STEPS = (
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
)


def _collapsed(names: list[str]) -> list[str]:
    return [name for name, _ in groupby(names)]


def _items(events: list[dict]) -> tuple[list[str], list[tuple[str, list[str]]], str]:
    """(envelope before the first item, [(item type, its collapsed steps)], the terminal event)."""
    names = [event["type"] for event in events]
    items: list[tuple[str, list[str]]] = []
    start = names.index("response.output_item.added") if "response.output_item.added" in names else len(names) - 1
    current: list[str] | None = None
    for event in events[start:-1]:
        if event["type"] == "response.output_item.added":
            current = []
            items.append((event["item"]["type"], current))
        elif event["type"] != "response.output_item.done" and current is not None:
            current.append(event["type"])
    return names[:start], [(kind, _collapsed(steps)) for kind, steps in items], names[-1]


def assert_events_match(recorded: list[dict], local: list[dict]) -> None:
    assert [e["sequence_number"] for e in local] == list(range(len(local)))
    assert all(e["type"] == name for e, name in zip(local, [e["type"] for e in local]))
    recorded_envelope, recorded_items, recorded_end = _items(recorded)
    local_envelope, local_items, local_end = _items(local)
    assert local_envelope == recorded_envelope and local_end == recorded_end
    for kind, steps in local_items:
        if kind == "reasoning":
            assert steps == [] or (len(steps) % 4 == 0 and all(s == REASONING_ITEM_STEPS[i % 4] for i, s in enumerate(steps))), steps
    without_reasoning = lambda items: [(k, s) for k, s in items if k != "reasoning"]  # noqa: E731
    assert without_reasoning(local_items) == without_reasoning(recorded_items)
    # Each event shaped like the recorded event of the same name (and item type, for item events).
    def key(event: dict) -> tuple[str, str | None]:
        return event["type"], (event.get("item") or {}).get("type")

    examples: dict[tuple[str, str | None], dict] = {}
    for event in recorded:
        examples.setdefault(key(event), event)
    for event in local:
        if key(event) in examples:
            assert shape_differences(examples[key(event)], event, extra_ok=frozenset(ADDED_LATER)) == [], key(event)


def _sse_events(response: httpx.Response) -> list[dict]:
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [block for block in response.text.split("\n\n") if block.strip()]
    events = []
    for block in blocks:
        event_line, data_line = block.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        payload = json.loads(data_line[6:])
        assert payload["type"] == event_line[7:]  # `event:` names the data's type
        events.append(payload)
    return events


@pytest.mark.parametrize("name", RESPONSES_FILES)
def test_responses_exchanges_are_shaped_like_the_recordings(local_server, name):
    for index, exchange in enumerate(interactions(name)):
        if (name, index) in NOT_REPLAYED:
            continue
        response = replay(local_server, exchange["request"])
        recorded = exchange["response"]
        assert response.status_code == recorded["status"], response.text
        assert response.headers["x-request-id"]
        if "sse" in recorded:
            assert all(event["data"] != "[DONE]" for event in recorded["sse"]), "the Responses API sends no [DONE]"
            recorded_events = [event["data"] for event in recorded["sse"]]
            local_events = _sse_events(response)
            assert_events_match(recorded_events, local_events)
            final = local_events[-1]["response"]
            text = "".join(e["delta"] for e in local_events if e["type"] == "response.output_text.delta")
            done = [e["text"] for e in local_events if e["type"] == "response.output_text.done"]
            assert [text] == done or (not text and not done)
            messages = [item for item in final["output"] if item["type"] == "message"]
            assert "".join(part["text"] for m in messages for part in m["content"]) == text
            assert shape_differences(recorded_events[-1]["response"], final, extra_ok=frozenset(ADDED_LATER)) == []
        else:
            assert shape_differences(recorded["body"], response.json(), extra_ok=frozenset(ADDED_LATER)) == []


def test_every_responses_recording_is_replayed_or_excused():
    recorded = {path.name for path in RECORDINGS.glob("responses_*.json")}
    assert recorded == set(RESPONSES_FILES)
    for (name, index), reason in NOT_REPLAYED.items():
        assert name in RESPONSES_FILES and reason
        assert interactions(name)[index]  # still exists


def test_the_incomplete_recording_ends_the_same_way(local_server):
    for exchange in interactions("responses_incomplete.json"):
        response = replay(local_server, exchange["request"])
        final = _sse_events(response)[-1]["response"] if "sse" in exchange["response"] else response.json()
        assert final["status"] == "incomplete" and final["incomplete_details"] == {"reason": "max_output_tokens"}
        assert final["usage"]["output_tokens"] == exchange["request"]["body"]["max_output_tokens"]
