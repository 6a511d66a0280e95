"""The streaming adapter over the real SDKs and the real local server: metrics, statuses, retries, errors.

Every reply here travels over HTTP from `localserver`, once through `azure-ai-inference` and once through
the `openai` package (the `api` fixture); faults are the server's own directives (`/fault ...`), so the
SDKs see exactly what the services would send.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from localserver import RunningServer
from portal.inference import ChatMessage, ChatOptions, ErrorKind, InferenceBackend, InferenceError, make_backend
from portal.reply_stream import COMPLETE, ERROR, INCOMPLETE, STOPPED, ReplyOutcome, ReplyStream
from tests.chat.support import closed_port, throwaway_server, unique
from tests.conftest import PREAMBLE_EVENTS, TEST_API_KEY, chat_connection, reply_requests


@dataclass
class Recorder:
    finished: list[ReplyOutcome] = field(default_factory=list)
    flushed: list[str] = field(default_factory=list)
    waits: list[tuple[float, int, InferenceError]] = field(default_factory=list)

    @property
    def outcome(self) -> ReplyOutcome:
        assert len(self.finished) == 1, f"on_finish must be called exactly once, was called {len(self.finished)} times"
        return self.finished[0]


def reply_stream(
    backend: InferenceBackend, text: str, options: ChatOptions | None = None, **kwargs
) -> tuple[ReplyStream, Recorder]:
    recorder = Recorder()
    messages = [ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", text)]
    stream = ReplyStream(
        lambda: backend.stream_chat(messages, options or ChatOptions()),
        on_finish=recorder.finished.append,
        on_flush=recorder.flushed.append,
        on_wait=lambda seconds, attempt, error: recorder.waits.append((seconds, attempt, error)),
        **kwargs,
    )
    return stream, recorder


@pytest.fixture
def backend(local_server: RunningServer, chat_api: str) -> Iterator[InferenceBackend]:
    backend = make_backend(chat_connection(local_server.url, chat_api))
    yield backend
    backend.close()


def chat_requests(server: RunningServer, status: int | None = None) -> int:
    return reply_requests(server, status)


# -- complete replies and metrics ---------------------------------------------------------------------


def test_complete_reply_carries_model_usage_and_timings(backend: InferenceBackend) -> None:
    text = unique("/long 40 /slow 400 measure me")
    stream, recorder = reply_stream(backend, text)
    deltas = list(stream)

    outcome = recorder.outcome
    assert outcome is stream.outcome
    assert outcome.status == COMPLETE
    assert outcome.error is None
    assert outcome.content == "".join(deltas) == stream.text
    assert outcome.content.startswith('You said: "measure me marker')
    assert len(outcome.content.split()) == 40
    assert outcome.finish_reason == "stop"
    assert outcome.model == "local-chat"
    # The local model sends one token per content chunk and counts the prompt's words.
    assert outcome.usage is not None
    assert outcome.usage.completion_tokens == len(deltas) == 40
    assert outcome.usage.prompt_tokens == len("You are a helpful assistant.".split()) + len(text.split())
    assert outcome.time_to_first_token_ms is not None and outcome.time_to_first_token_ms > 0
    # 39 paced gaps at 400 words per second: at least ~97 ms between first token and the end.
    assert outcome.total_time_ms - outcome.time_to_first_token_ms >= 90
    assert outcome.tokens_per_second is not None and 0 < outcome.tokens_per_second < 1000
    assert outcome.retries == 0
    assert recorder.waits == []

    # Finalising again changes nothing and does not call on_finish a second time.
    assert stream.close() is outcome
    assert recorder.outcome is outcome


def test_request_options_reach_the_server(backend: InferenceBackend, chat_api: str) -> None:
    if chat_api == "responses":  # the Responses API has no seed, and max_output_tokens is at least 16
        stream, recorder = reply_stream(backend, unique("hello /long 40"), ChatOptions(max_tokens=16))
        assert len("".join(stream).split()) == 16
        expected_tokens = 16
    else:
        stream, recorder = reply_stream(backend, unique("hello"), ChatOptions(max_tokens=3, seed=3))
        assert "".join(stream) == "I received: " + '"hello'  # seed 3 picks the fourth opening; 3 tokens only
        expected_tokens = 3
    assert recorder.outcome.finish_reason == "length"  # the Responses API's `incomplete` (max_output_tokens)
    assert recorder.outcome.usage.completion_tokens == expected_tokens
    assert recorder.outcome.status == COMPLETE


# -- stop, cut, no finish ------------------------------------------------------------------------------


def test_close_mid_stream_keeps_the_partial_text_as_stopped(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/long 500 tell me everything"))
    taken = [next(stream) for _ in range(6)]

    outcome = stream.close()

    assert outcome.status == STOPPED
    assert outcome.content == "".join(taken)
    assert outcome.error is None
    assert outcome.finish_reason is None  # the end of the stream never arrived
    assert recorder.outcome is outcome
    assert list(stream) == []  # nothing more is read after a stop
    assert stream.close(status=ERROR) is outcome  # a second close keeps the first outcome


def test_close_before_reading_sends_no_request(backend: InferenceBackend, local_server: RunningServer) -> None:
    before = chat_requests(local_server)
    stream, recorder = reply_stream(backend, unique("never sent"))
    outcome = stream.close()
    assert outcome.status == STOPPED
    assert outcome.content == ""
    assert outcome.time_to_first_token_ms is None
    assert recorder.outcome is outcome
    assert chat_requests(local_server) == before


def test_cut_connection_is_incomplete_and_keeps_what_arrived(backend: InferenceBackend, chat_api: str) -> None:
    stream, recorder = reply_stream(backend, unique(f"/fault cut:{PREAMBLE_EVENTS[chat_api] + 4} cut me off"))
    deltas = list(stream)

    outcome = recorder.outcome
    assert outcome.status == INCOMPLETE
    # The events before the first word and four one-word tokens got through.
    assert len(deltas) == 4
    assert outcome.content == "".join(deltas) == 'You said: "cut me'
    assert outcome.error is not None and outcome.error.kind == ErrorKind.STREAM_CUT
    assert "what arrived is kept" in outcome.error.user_message()
    assert outcome.finish_reason is None
    assert outcome.usage is None


def test_stream_without_finish_reason_is_incomplete(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/fault nodone no ending"))
    deltas = list(stream)

    outcome = recorder.outcome
    assert outcome.status == INCOMPLETE
    assert deltas and outcome.content == "".join(deltas)
    assert outcome.content.startswith('You said: "no ending marker')
    assert outcome.error is not None and outcome.error.kind == ErrorKind.STREAM_CUT
    assert "without a finish reason" in outcome.error.message
    assert outcome.finish_reason is None


# -- retries -------------------------------------------------------------------------------------------


def test_rate_limit_is_retried_with_the_retry_after_wait(backend: InferenceBackend, local_server: RunningServer) -> None:
    rejected_before = chat_requests(local_server, 429)
    slept: list[float] = []
    stream, recorder = reply_stream(backend, unique("/fault 429x2 busy"), max_retries=3, sleep=slept.append)
    deltas = list(stream)

    outcome = recorder.outcome
    assert outcome.status == COMPLETE
    assert outcome.content == "".join(deltas) and outcome.content.startswith('You said: "busy marker')
    assert outcome.retries == 2
    assert [(seconds, attempt) for seconds, attempt, _ in recorder.waits] == [(1.0, 1), (1.0, 2)]
    assert all(error.kind == ErrorKind.RATE_LIMITED and error.status_code == 429 for _, _, error in recorder.waits)
    assert all(error.retry_after_seconds == 1.0 for _, _, error in recorder.waits)
    assert slept == [1.0, 1.0]  # it waited what the server asked for, twice
    assert chat_requests(local_server, 429) == rejected_before + 2


def test_rate_limit_that_never_ends_gives_up_after_max_retries(backend: InferenceBackend, local_server: RunningServer) -> None:
    before = chat_requests(local_server)
    stream, recorder = reply_stream(backend, unique("/fault 429 always busy"), max_retries=2)
    assert list(stream) == []

    outcome = recorder.outcome
    assert outcome.status == ERROR
    assert outcome.content == ""
    assert outcome.retries == 2
    assert [attempt for _, attempt, _ in recorder.waits] == [1, 2]
    assert outcome.error is not None and outcome.error.kind == ErrorKind.RATE_LIMITED
    assert "Rate limited" in outcome.error.message
    assert outcome.error.user_message().startswith("The endpoint is rate limiting requests. Wait a moment, then try again.")
    assert chat_requests(local_server) == before + 3  # the first try and two retries


def test_transient_server_error_is_retried_before_the_first_token(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/fault 503x1 no capacity"))
    list(stream)
    outcome = recorder.outcome
    assert outcome.status == COMPLETE
    assert outcome.retries == 1
    # No Retry-After header on a 503: the default back-off of one second for the first retry.
    assert [(seconds, attempt, error.kind) for seconds, attempt, error in recorder.waits] == [(1.0, 1, ErrorKind.SERVER)]


def test_server_error_without_retries_is_an_error(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/fault 500 broken"), max_retries=0)
    assert list(stream) == []
    outcome = recorder.outcome
    assert outcome.status == ERROR
    assert outcome.error.kind == ErrorKind.SERVER
    assert outcome.error.status_code == 500
    assert "The model service failed" in outcome.error.user_message()
    assert recorder.waits == []


# -- errors that are not retried -----------------------------------------------------------------------


def test_content_filter_is_reported_and_not_retried(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/fault filter something bad"), max_retries=3)
    assert list(stream) == []
    outcome = recorder.outcome
    assert outcome.status == ERROR
    assert outcome.error.kind == ErrorKind.CONTENT_FILTER
    assert outcome.error.status_code == 400
    assert "content filter" in outcome.error.user_message()
    assert "content management policy" in outcome.error.user_message()
    assert recorder.waits == []


def test_wrong_api_key_is_an_auth_error(keyed_server: RunningServer, chat_api: str) -> None:
    wrong = make_backend(chat_connection(keyed_server.url, chat_api, api_key="not-the-key"))
    right = make_backend(chat_connection(keyed_server.url, chat_api, api_key=TEST_API_KEY))
    try:
        stream, recorder = reply_stream(wrong, unique("let me in"), max_retries=3)
        assert list(stream) == []
        outcome = recorder.outcome
        assert outcome.status == ERROR
        assert outcome.error.kind == ErrorKind.AUTH
        assert outcome.error.status_code == 401
        assert "refused the credentials" in outcome.error.user_message()
        assert "Check the API key" in outcome.error.user_message()
        assert recorder.waits == []

        stream, recorder = reply_stream(right, unique("let me in"))
        list(stream)
        assert recorder.outcome.status == COMPLETE
    finally:
        wrong.close()
        right.close()


def test_connection_refused_is_a_connection_error(chat_api: str) -> None:
    backend = make_backend(chat_connection(f"http://127.0.0.1:{closed_port()}", chat_api))
    try:
        stream, recorder = reply_stream(backend, "anyone there?", max_retries=3)
        assert list(stream) == []
    finally:
        backend.close()
    outcome = recorder.outcome
    assert outcome.status == ERROR
    assert outcome.error.kind == ErrorKind.CONNECTION
    assert "Could not connect to the endpoint" in outcome.error.message
    assert outcome.error.user_message().startswith("The endpoint could not be reached. Check the URL")
    assert recorder.waits == []


def test_read_timeout_is_a_timeout_error(chat_api: str) -> None:
    with throwaway_server() as server:
        backend = make_backend(chat_connection(server.url, chat_api), read_timeout_seconds=1)
        try:
            stream, recorder = reply_stream(backend, unique("/fault hang:5 take your time"), max_retries=3)
            started = time.monotonic()
            assert list(stream) == []
            elapsed = time.monotonic() - started
        finally:
            backend.close()
    outcome = recorder.outcome
    assert outcome.status == ERROR
    assert outcome.error.kind == ErrorKind.TIMEOUT
    assert "timed out" in outcome.error.message
    assert outcome.error.user_message() == "The model did not answer in time. Try again, or raise the timeout."
    # The client gave up after its read timeout (a TIMEOUT, not the reply the server sends after 5 s);
    # no upper bound on the time: a busy machine may take longer to notice, and that is not a failure.
    assert elapsed >= 0.9
    assert recorder.waits == []


# -- flushing ------------------------------------------------------------------------------------------


def test_flush_interval_zero_flushes_growing_prefixes(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("/long 30 flush often"), flush_interval=0)
    deltas = list(stream)
    text = "".join(deltas)
    assert recorder.outcome.content == text
    # One flush per token after the first one was handed over (flushing happens between tokens).
    assert len(recorder.flushed) == len(deltas)
    assert recorder.flushed == ["".join(deltas[: i + 1]) for i in range(len(deltas))]


def test_long_flush_interval_does_not_flush_a_short_reply(backend: InferenceBackend) -> None:
    stream, recorder = reply_stream(backend, unique("quick one"), flush_interval=3600)
    list(stream)
    assert recorder.flushed == []
    assert recorder.outcome.status == COMPLETE
