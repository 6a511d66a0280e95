"""Raw HTTP (httpx) against the local server: bad requests get Azure-shaped 4xx answers, streams are framed
byte for byte as the SDK's SSE parser needs, and streamed tokens are paced."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from localserver import ServerConfig, start

from .support import png_data_url

LIMIT_BODY_BYTES = 4096
LIMIT_EMBEDDING_INPUTS = 4
USER_HI = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def limited_server():
    """A dedicated server with small limits, so that limit errors are cheap to provoke."""
    server = start(
        config=ServerConfig(
            words_per_second=0, max_body_bytes=LIMIT_BODY_BYTES, max_embedding_inputs=LIMIT_EMBEDDING_INPUTS
        )
    )
    yield server
    server.stop()


ERROR_OBJECT, FLAT, NOT_FOUND_TEXT = "error object", "flat", "NOT FOUND text"


def assert_clean_client_error(response: httpx.Response, status: int, shape: str = ERROR_OBJECT) -> dict:
    """`status`, no stack trace leaked, and the body in the one shape Azure uses for that answer:
    - ERROR_OBJECT: `{"error": {"code": ..., "message": ...}}` (the inference routes' 4xx);
    - FLAT: `{"status", "code", "message", ...}` at the top (the 422 of an unsupported parameter);
    - NOT_FOUND_TEXT: the plain-text `NOT FOUND` of a serverless endpoint asked for another model.
    Returns the JSON body ({} for the text)."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    media_type = response.headers["content-type"].split(";")[0]
    if shape == NOT_FOUND_TEXT:
        assert (media_type, response.text) == ("text/plain", "NOT FOUND")
        return {}
    assert media_type == "application/json", media_type
    body = response.json()
    if shape == FLAT:
        assert {"status", "code", "message"} <= body.keys() and "error" not in body, body
        assert body["status"] == status and body["message"], body
        return body
    assert shape == ERROR_OBJECT, shape
    assert list(body) == ["error"] and isinstance(body["error"], dict), body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"], body
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"], body
    return body


def chat_body(**extra) -> dict:
    return {**USER_HI, **extra}


def schema_format(schema) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


# Each case: (id, path, raw body bytes, expected status, expected error code or None)
BAD_REQUESTS = [
    ("malformed-json", "/chat/completions", b'{"messages": [', 400, "invalid_request_error"),
    ("empty-body", "/chat/completions", b"", 400, "invalid_request_error"),
    ("non-object-body", "/chat/completions", b'[{"role": "user", "content": "hi"}]', 400, "invalid_request_error"),
    ("null-body", "/embeddings", b"null", 400, "invalid_request_error"),
    ("not-utf8", "/chat/completions", b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}', 400, "invalid_request_error"),
    ("missing-messages", "/chat/completions", b'{"temperature": 0.5}', 400, "invalid_request_error"),
    ("empty-messages", "/chat/completions", b'{"messages": []}', 400, "invalid_request_error"),
    ("messages-not-a-list", "/chat/completions", b'{"messages": "hi"}', 400, "invalid_request_error"),
    ("temperature-is-a-string", "/chat/completions", json.dumps(chat_body(temperature="hot")).encode(), 400, "invalid_request_error"),
    ("max-tokens-negative", "/chat/completions", json.dumps(chat_body(max_tokens=-1)).encode(), 400, "invalid_request_error"),
    ("seed-is-a-float", "/chat/completions", json.dumps(chat_body(seed=1.5)).encode(), 400, "invalid_request_error"),
    ("stream-is-a-string", "/chat/completions", json.dumps(chat_body(stream="yes")).encode(), 400, "invalid_request_error"),
    ("content-part-is-a-number", "/chat/completions", b'{"messages": [{"role": "user", "content": [1]}]}', 400, "invalid_request_error"),
    ("bad-role", "/chat/completions", b'{"messages": [{"role": "robot", "content": "hi"}]}', 400, "invalid_request_error"),
    ("unknown-root-key", "/chat/completions", json.dumps(chat_body(best_of=2)).encode(), 422, "parameter_not_supported"),
    ("bad-response-format", "/chat/completions", json.dumps(chat_body(response_format={"type": "xml"})).encode(), 400, "invalid_request_error"),
    ("nan-temperature", "/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', 400, "invalid_request_error"),
    # Server fix: json.loads raised RecursionError, which became a 500.
    ("deeply-nested-json", "/chat/completions", b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "invalid_request_error"),
    # Server fix: schemas that validate as "a dict" but are not JSON schemas crashed the reply planner (500).
    (
        "tool-properties-not-an-object",
        "/chat/completions",
        json.dumps(
            chat_body(tools=[{"type": "function", "function": {"name": "f", "parameters": {"properties": "city"}}}])
        ).encode(),
        400,
        "invalid_request_error",
    ),
    (
        "response-schema-items-not-a-schema",
        "/chat/completions",
        json.dumps(chat_body(response_format=schema_format({"type": "array", "items": "x"}))).encode(),
        400,
        "invalid_request_error",
    ),
    (
        "response-schema-minimum-not-a-number",
        "/chat/completions",
        json.dumps(chat_body(response_format=schema_format({"type": "integer", "minimum": "low"}))).encode(),
        400,
        "invalid_request_error",
    ),
    ("embeddings-empty-list", "/embeddings", b'{"input": []}', 400, "invalid_request_error"),
    ("embeddings-empty-string", "/embeddings", b'{"input": [""]}', 400, "invalid_request_error"),
    ("embeddings-blank-string", "/embeddings", b'{"input": "   "}', 400, "invalid_request_error"),
    ("embeddings-input-numbers", "/embeddings", b'{"input": [1, 2]}', 400, "invalid_request_error"),
    ("embeddings-missing-input", "/embeddings", b'{"dimensions": 8}', 400, "invalid_request_error"),
    ("embeddings-zero-dimensions", "/embeddings", b'{"input": ["a"], "dimensions": 0}', 400, "invalid_request_error"),
    ("embeddings-too-many-dimensions", "/embeddings", b'{"input": ["a"], "dimensions": 100000}', 400, "invalid_request_error"),
    ("embeddings-bad-encoding", "/embeddings", b'{"input": ["a"], "encoding_format": "hex"}', 400, "invalid_request_error"),
    ("image-embeddings-empty", "/images/embeddings", b'{"input": []}', 400, "invalid_request_error"),
    ("image-embeddings-not-an-image", "/images/embeddings", b'{"input": [{"image": "data:image/png;base64,AAAA"}]}', 400, "invalid_request_error"),
    ("image-embeddings-remote-url", "/images/embeddings", b'{"input": [{"image": "https://example.com/a.png"}]}', 400, "invalid_request_error"),
]


@pytest.mark.parametrize(("path", "body", "status", "code"), [c[1:] for c in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request_is_a_clean_4xx(local_server, path, body, status, code):
    response = httpx.post(local_server.url + path, content=body, headers={"Content-Type": "application/json"})

    payload = assert_clean_client_error(response, status, FLAT if status == 422 else ERROR_OBJECT)
    assert (payload["code"] if status == 422 else payload["error"]["code"]) == code


def test_validation_error_names_the_offending_field(local_server):
    response = httpx.post(f"{local_server.url}/chat/completions", json=chat_body(temperature="hot"))

    assert_clean_client_error(response, 400)
    assert response.json()["error"]["param"] == "temperature"
    assert "temperature" in response.json()["error"]["message"]


def test_too_many_embedding_inputs_is_a_400_naming_the_limit(limited_server):
    response = httpx.post(f"{limited_server.url}/embeddings", json={"input": ["word"] * (LIMIT_EMBEDDING_INPUTS + 1)})
    at_limit = httpx.post(f"{limited_server.url}/embeddings", json={"input": ["word"] * LIMIT_EMBEDDING_INPUTS})

    assert_clean_client_error(response, 400)
    assert f"max number of inputs is {LIMIT_EMBEDDING_INPUTS}" in response.json()["error"]["message"]
    assert at_limit.status_code == 200
    assert len(at_limit.json()["data"]) == LIMIT_EMBEDDING_INPUTS


def test_oversize_body_with_content_length_is_413(limited_server):
    body = {"messages": [{"role": "user", "content": "x" * (LIMIT_BODY_BYTES * 2)}]}

    response = httpx.post(f"{limited_server.url}/chat/completions", json=body)

    assert_clean_client_error(response, 413)
    assert str(LIMIT_BODY_BYTES) in response.json()["error"]["message"]


def test_oversize_chunked_body_without_content_length_is_413(limited_server):
    def pieces():
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(LIMIT_BODY_BYTES // 512 + 2):
            yield b"y" * 512
        yield b'"}]}'

    response = httpx.post(
        f"{limited_server.url}/chat/completions", content=pieces(), headers={"Content-Type": "application/json"}
    )

    assert_clean_client_error(response, 413)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/serverless/no-such-model/chat/completions", USER_HI, 404, None),  # plain-text NOT FOUND, like Azure
        ("/serverless/local-embed/chat/completions", USER_HI, 404, None),  # a model of the wrong kind
        ("/serverless/local-chat/embeddings", {"input": ["a"]}, 404, None),
        ("/models/chat/completions", {**USER_HI, "model": "no-such-model"}, 400, "unknown_model"),
        ("/models/chat/completions", {**USER_HI, "model": "local-embed"}, 400, "OperationNotSupported"),
        ("/models/embeddings", {"input": ["a"]}, 400, "no_model_name"),
        ("/openai/deployments/no-such-deployment/chat/completions?api-version=2024-06-01", USER_HI, 404, "DeploymentNotFound"),
        ("/openai/deployments/local-chat/embeddings?api-version=2024-06-01", {"input": ["a"]}, 400, "OperationNotSupported"),
        # Azure OpenAI answers a request without a valid api-version as if the route did not exist.
        ("/openai/deployments/local-chat/chat/completions", USER_HI, 404, "404"),
        ("/openai/deployments/local-chat/chat/completions?api-version=yesterday", USER_HI, 404, "404"),
    ],
    ids=[
        "serverless-unknown",
        "serverless-wrong-kind",
        "serverless-chat-has-no-embeddings",
        "models-unknown",
        "models-wrong-kind",
        "models-missing",
        "openai-unknown-deployment",
        "openai-wrong-kind",
        "openai-without-api-version",
        "openai-with-a-bad-api-version",
    ],
)
def test_unknown_or_wrong_model_per_endpoint_style_is_a_clean_4xx(local_server, path, body, status, code):
    response = httpx.post(local_server.url + path, json=body)

    payload = assert_clean_client_error(response, status, ERROR_OBJECT if code is not None else NOT_FOUND_TEXT)
    if code is not None:
        assert payload["error"]["code"] == code


def test_root_endpoint_serves_its_default_model_whatever_model_is_named(local_server):
    # Like a serverless deployment, the root endpoint has one model per operation and ignores `model`.
    response = httpx.post(f"{local_server.url}/chat/completions", json={**USER_HI, "model": "no-such-model"})

    assert response.status_code == 200
    assert response.json()["model"] == "local-chat"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/completions", 404),
        ("GET", "/nothing/here", 404),
        ("POST", "/serverless/local-chat/chat", 404),
        ("GET", "/chat/completions", 405),
        ("DELETE", "/info", 405),
    ],
)
def test_unknown_route_or_method_is_a_clean_4xx(local_server, method, path, status):
    response = httpx.request(method, local_server.url + path)

    assert_clean_client_error(response, status)


def test_unknown_route_answers_azures_resource_not_found_body(local_server):
    response = httpx.post(f"{local_server.url}/v2/completions", json=USER_HI)

    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_unknown_route_under_the_openai_prefixes_answers_openais_invalid_url(local_server):
    for prefix in ("/openai/v1", "/v1"):
        response = httpx.post(f"{local_server.url}{prefix}/completions", json=USER_HI)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"message": f"Invalid URL (POST {prefix}/completions)", "type": "invalid_request_error", "param": None, "code": None}
        }


# -- inputs that used to crash or hang the server -----------------------------------------------------


def test_a_huge_min_items_schema_is_capped_instead_of_blocking_the_server(local_server):
    # Server fix: value_for_schema built all `minItems` values on the event loop, so a schema asking for
    # 10**9 items hung the whole server (and ate memory). 10**6 keeps a regression merely slow, not fatal.
    schema = {"type": "array", "minItems": 10**6, "items": {"type": "string"}}
    response = httpx.post(
        f"{local_server.url}/chat/completions", json=chat_body(response_format=schema_format(schema)), timeout=10
    )

    assert response.status_code == 200
    value = json.loads(response.json()["choices"][0]["message"]["content"])
    assert isinstance(value, list) and 1 <= len(value) <= 100


def test_a_number_too_large_for_a_float_is_not_a_500(local_server):
    # Server fix: "999...9*2" overflowed to inf and int(inf) raised OverflowError in the arithmetic helper.
    huge = "9" * 400
    plain = httpx.post(f"{local_server.url}/chat/completions", json={"messages": [{"role": "user", "content": f"{huge}*2"}]})
    as_integer = httpx.post(
        f"{local_server.url}/chat/completions",
        json={"messages": [{"role": "user", "content": huge}], "response_format": schema_format({"type": "integer"})},
    )

    assert plain.status_code == 200
    assert as_integer.status_code == 200
    assert isinstance(json.loads(as_integer.json()["choices"][0]["message"]["content"]), int)


def test_a_malformed_remote_image_url_is_described_not_a_500(local_server):
    # Server fix: urlparse("http://[::1").hostname raises ValueError.
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "http://[::1/broken.png"}},
        {"type": "image_url", "image_url": {"url": png_data_url(4, 4)}},
    ]
    response = httpx.post(f"{local_server.url}/chat/completions", json={"messages": [{"role": "user", "content": content}]})

    assert response.status_code == 200
    reply = response.json()["choices"][0]["message"]["content"]
    assert "did not fetch" in reply and "4x4 PNG" in reply


# -- SSE framing at byte level ------------------------------------------------------------------------


def test_stream_is_chunked_event_stream_with_exact_data_events_and_done(local_server):
    with httpx.stream(
        "POST",
        f"{local_server.url}/chat/completions",
        json={"messages": [{"role": "user", "content": "Give me 3 reasons to exercise."}], "stream": True},
    ) as response:
        raw = b"".join(response.iter_raw())
        headers = response.headers

    assert response.status_code == 200
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert headers["content-type"].split(";")[0] == "text/event-stream"
    assert b"\r" not in raw
    assert raw.endswith(b"\n\ndata: [DONE]\n\n")
    events = raw.split(b"\n\n")
    assert events[-1] == b""  # everything, including [DONE], ended with a blank line
    events = events[:-1]
    for event in events:
        assert event.startswith(b"data: "), event
        assert b"\n" not in event, event  # one line per event: no event:/id:/comment lines
    assert events[-1] == b"data: [DONE]"
    chunks = [json.loads(event[len(b"data: ") :]) for event in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert last["usage"]["completion_tokens"] == len(content.split())
    assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + last["usage"]["completion_tokens"]
    assert all("usage" not in c and c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_streamed_tool_call_deltas_carry_index_and_send_id_and_name_only_once(local_server):
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    ]
    with httpx.stream(
        "POST",
        f"{local_server.url}/chat/completions",
        json={"messages": [{"role": "user", "content": "Weather in Seattle?"}], "tools": tools, "stream": True},
    ) as response:
        raw = b"".join(response.iter_raw())

    chunks = [json.loads(e[6:]) for e in raw.split(b"\n\n") if e and e != b"data: [DONE]"]
    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls") or []]
    assert len(deltas) >= 2
    assert all(d["index"] == 0 and "function" in d for d in deltas)
    assert deltas[0]["id"] and deltas[0]["function"]["name"] == "get_weather"
    assert all("id" not in d and "name" not in d["function"] for d in deltas[1:])  # never re-sent, never ""
    assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == {"city": "Seattle"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_slow_directive_spreads_tokens_over_time(local_server):
    token_times: list[float] = []  # arrival time of each event that carries a content token
    buffer = b""
    with httpx.stream(
        "POST",
        f"{local_server.url}/chat/completions",
        json={"messages": [{"role": "user", "content": "Count slowly for me /long 10 /slow 20"}], "stream": True},
    ) as response:
        for piece in response.iter_raw():
            arrived = time.monotonic()
            buffer += piece
            *complete, buffer = buffer.split(b"\n\n")
            for event in complete:
                if event != b"data: [DONE]" and json.loads(event[6:])["choices"][0]["delta"].get("content"):
                    token_times.append(arrived)

    assert buffer == b""
    assert len(token_times) == 10
    distinct = [t for i, t in enumerate(token_times) if i == 0 or t - token_times[i - 1] > 0.01]
    assert len(distinct) >= 3  # not all at once: the client sees the reply grow
    assert token_times[-1] - token_times[0] > 0.15
