"""OpenTelemetry tracing of model calls: one `chat <model>` span per completion with the token usage
the server reported, message content only when content recording is on, and `configure_tracing`
working on a process that already has a tracer provider (OpenTelemetry allows setting it once).

The global TracerProvider (with an in-memory exporter) is installed once per session; the SDK's
instrumentation is switched off again at the end of this module. `configure_tracing("otlp")` runs in
a subprocess, against a small OTLP/HTTP receiver: the exporter it attaches cannot be detached again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from azure.core.settings import settings as azure_settings
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from portal.inference import (
    ChatMessage,
    ChatOptions,
    EmbeddingOptions,
    ErrorKind,
    InferenceError,
    StreamEnd,
    TextDelta,
    make_backend,
    openai_backend,
)
from portal.inference.azure_backend import AzureInferenceBackend
from portal.inference.azure_backend import instrument as instrument_inference
from portal.inference.azure_backend import uninstrument as uninstrument_inference
from portal.inference.factory import instrument_backends, uninstrument_backends
from portal.settings import build_connection, offline_connection
from portal.tracing import configure_tracing
from tests.connections.conftest import ROOT

PROMPT = "Please remember the word PAPAYA-4417 and answer briefly"
INPUT_TOKENS, OUTPUT_TOKENS = "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"


@pytest.fixture(scope="session")
def tracer_provider() -> TracerProvider:
    """The process-wide SDK TracerProvider: reuse one that is already installed, else install ours."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    assert trace.get_tracer_provider() is provider, "another (non-SDK) tracer provider is installed globally"
    return provider


class _RecordWhileTesting(SimpleSpanProcessor):
    """Export to memory only while a test of this module runs. Once an SDK provider is global, the
    local server's FastAPI spans of every later test would otherwise pile up in memory."""

    recording = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            super().on_end(span)


@pytest.fixture(scope="session")
def span_recorder(tracer_provider) -> _RecordWhileTesting:
    recorder = _RecordWhileTesting(InMemorySpanExporter())
    tracer_provider.add_span_processor(recorder)
    return recorder


@pytest.fixture(scope="module", autouse=True)
def restore_tracing_afterwards() -> Iterator[None]:
    """Leave the process as we found it: SDK uninstrumented, azure-core tracing implementation reset
    (instrument_inference sets it process-wide and uninstrument_inference does not undo that)."""
    previous = azure_settings.tracing_implementation()
    yield
    uninstrument_inference()
    openai_backend.uninstrument()
    azure_settings.tracing_implementation.unset_value()
    if azure_settings.tracing_implementation() is not previous:
        azure_settings.tracing_implementation.set_value(previous)


@pytest.fixture
def spans(span_recorder) -> Iterator[InMemorySpanExporter]:
    exporter = span_recorder.span_exporter
    exporter.clear()
    span_recorder.recording = True
    yield exporter
    span_recorder.recording = False
    exporter.clear()


@pytest.fixture
def backend(local_server) -> AzureInferenceBackend:
    backend = AzureInferenceBackend(build_connection("traced", {"endpoint": local_server.url, "auth": "none"}))
    yield backend
    backend.close()


def _instrument(content_recording: bool) -> None:
    """Switch the SDK's instrumentation on with this content setting. Uninstrument first:
    instrument_inference cannot re-instrument (see test_instrument_inference_can_be_called_twice)."""
    uninstrument_inference()
    instrument_inference(content_recording=content_recording)


def _chat_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.attributes.get("gen_ai.operation.name") == "chat"]


def _all_recorded_text(exporter: InMemorySpanExporter) -> str:
    """Every attribute and event attribute of every span, as one string."""
    parts = []
    for span in exporter.get_finished_spans():
        parts.append(span.name)
        parts.append(json.dumps(dict(span.attributes), default=str))
        for event in span.events:
            parts.append(event.name)
            parts.append(json.dumps(dict(event.attributes), default=str))
    return "\n".join(parts)


def _two_completions(backend: AzureInferenceBackend, model: str = "local-chat"):
    messages = [ChatMessage(role="user", content=PROMPT)]
    reply = backend.complete_chat(messages, ChatOptions(model=model))
    events = list(backend.stream_chat(messages, ChatOptions(model=model)))
    streamed_text = "".join(e.text for e in events if isinstance(e, TextDelta))
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert reply.usage is not None and end.usage is not None
    return reply, streamed_text, end


def test_one_span_per_completion_with_the_reported_usage(spans, backend):
    uninstrument_inference()
    instrument_inference(content_recording=False)
    reply, _, end = _two_completions(backend)
    chat = _chat_spans(spans)
    assert [s.name for s in chat] == ["chat local-chat", "chat local-chat"]  # non-streamed, then streamed
    plain, streamed = chat
    for span, usage in ((plain, reply.usage), (streamed, end.usage)):
        assert span.attributes[INPUT_TOKENS] == usage.prompt_tokens > 0
        assert span.attributes[OUTPUT_TOKENS] == usage.completion_tokens > 0
        assert span.attributes["gen_ai.request.model"] == "local-chat"
        assert span.attributes["gen_ai.response.model"] == "local-chat"
        assert span.attributes["gen_ai.system"] == "az.ai.inference"
        assert tuple(span.attributes["gen_ai.response.finish_reasons"]) == ("stop",)
        assert span.attributes["server.address"] == "127.0.0.1"
        assert span.kind == trace.SpanKind.CLIENT
        assert span.status.is_ok
    # Only chat is instrumented: an embeddings call adds no gen_ai span.
    spans.clear()
    backend.embed(["hello"], EmbeddingOptions(model="local-embed"))
    assert _chat_spans(spans) == []


def test_without_content_recording_no_message_text_is_recorded(spans, backend):
    _instrument(content_recording=False)
    reply, streamed_text, _ = _two_completions(backend)
    recorded = _all_recorded_text(spans)
    assert len(_chat_spans(spans)) == 2
    assert "PAPAYA-4417" not in recorded
    assert reply.content and reply.content not in recorded
    assert streamed_text and streamed_text not in recorded
    # The finish reason is still recorded as a choice event, without the message.
    choice_events = [e for s in _chat_spans(spans) for e in s.events if e.name == "gen_ai.choice"]
    assert len(choice_events) == 2
    for event in choice_events:
        assert "message" not in json.loads(event.attributes["gen_ai.event.content"])


def test_with_content_recording_the_messages_are_recorded(spans, backend):
    _instrument(content_recording=True)
    try:
        reply, streamed_text, _ = _two_completions(backend)
    finally:
        _instrument(content_recording=False)
    plain, streamed = _chat_spans(spans)
    for span, answer in ((plain, reply.content), (streamed, streamed_text)):
        events = {e.name: json.loads(e.attributes["gen_ai.event.content"]) for e in span.events}
        assert events["gen_ai.user.message"] == {"role": "user", "content": PROMPT}
        assert events["gen_ai.choice"]["message"]["content"] == answer
        assert events["gen_ai.choice"]["finish_reason"] == "stop"


def test_span_name_lacks_the_model_where_the_kind_does_not_send_it(spans, local_server):
    """The SDK names the span after the `model` argument of complete(); serverless endpoints and
    Azure OpenAI deployments get no `model` in the body, so their span is just `chat` and the
    model only shows in gen_ai.response.model."""
    _instrument(content_recording=False)
    serverless = AzureInferenceBackend(
        build_connection("s", {"endpoint": local_server.url, "kind": "serverless", "auth": "none"})
    )
    serverless.complete_chat([ChatMessage(role="user", content="hi")], ChatOptions(model="local-chat"))
    (span,) = _chat_spans(spans)
    assert span.name == "chat"
    assert span.attributes["gen_ai.request.model"] == "chat"
    assert span.attributes["gen_ai.response.model"] == "local-chat"


def test_a_failed_completion_is_an_error_span(spans, keyed_server):
    _instrument(content_recording=False)
    unauthorized = AzureInferenceBackend(build_connection("u", {"endpoint": keyed_server.url, "auth": "none"}))
    with pytest.raises(InferenceError) as raised:
        unauthorized.complete_chat([ChatMessage(role="user", content="hi")], ChatOptions(model="local-chat"))
    assert raised.value.kind == ErrorKind.AUTH
    (span,) = _chat_spans(spans)
    assert span.name == "chat local-chat"
    assert not span.status.is_ok
    assert span.attributes["error.type"] == "azure.core.exceptions.ClientAuthenticationError"


def test_instrument_inference_can_be_called_twice(spans, backend):
    _instrument(content_recording=False)
    instrument_inference(content_recording=True)
    backend.complete_chat([ChatMessage(role="user", content="hi")], ChatOptions(model="local-chat"))
    (span,) = _chat_spans(spans)  # one span per call, not one per time it was instrumented
    assert span.name == "chat local-chat"


# -- the openai backend (OpenTelemetry's contrib instrumentation of the openai package) ----------------


@pytest.fixture
def openai_v1(local_server):
    backend = make_backend(offline_connection(local_server.url, "openai"))
    yield backend
    backend.close()


def test_openai_backend_calls_are_traced_with_usage(spans, openai_v1):
    openai_backend.uninstrument()
    openai_backend.instrument(content_recording=False)
    try:
        reply, streamed_text, end = _two_completions(openai_v1)
    finally:
        openai_backend.uninstrument()
    chat = _chat_spans(spans)
    assert [s.name for s in chat] == ["chat local-chat", "chat local-chat"]  # non-streamed, then streamed
    for span, usage in zip(chat, (reply.usage, end.usage)):
        assert span.attributes["gen_ai.provider.name"] == "openai"
        assert span.attributes["gen_ai.request.model"] == "local-chat"
        assert span.attributes["gen_ai.response.model"] == "local-chat"
        assert span.attributes[INPUT_TOKENS] == usage.prompt_tokens > 0
        assert span.attributes[OUTPUT_TOKENS] == usage.completion_tokens > 0
        assert span.kind == trace.SpanKind.CLIENT
    recorded = _all_recorded_text(spans)
    assert "PAPAYA-4417" not in recorded and reply.content not in recorded and streamed_text not in recorded


def test_openai_backend_records_messages_only_with_content_recording(spans, openai_v1):
    openai_backend.uninstrument()
    openai_backend.instrument(content_recording=True)
    try:
        reply, streamed_text, _ = _two_completions(openai_v1)
    finally:
        openai_backend.uninstrument()
    plain, streamed = _chat_spans(spans)
    for span, answer in ((plain, reply.content), (streamed, streamed_text)):
        sent = json.loads(span.attributes["gen_ai.input.messages"])
        assert sent == [{"role": "user", "parts": [{"content": PROMPT, "type": "text"}]}]
        said = json.loads(span.attributes["gen_ai.output.messages"])
        assert said[0]["parts"][0]["content"] == answer


def test_the_tracing_switch_instruments_both_backends(spans, backend, openai_v1):
    """What configure_tracing turns on (it also adds an exporter, which cannot be removed again: see the
    OTLP test below, which runs it in a subprocess)."""
    uninstrument_backends()
    instrument_backends(content_recording=False)
    try:
        _two_completions(backend)
        _two_completions(openai_v1)
    finally:
        uninstrument_inference()
        openai_backend.uninstrument()
    names = [(s.attributes.get("gen_ai.system") or s.attributes.get("gen_ai.provider.name")) for s in _chat_spans(spans)]
    assert names == ["az.ai.inference", "az.ai.inference", "openai", "openai"]


# -- configure_tracing --------------------------------------------------------------------------------


def test_configure_tracing_rejects_an_unknown_mode():
    with pytest.raises(ValueError) as raised:
        configure_tracing("bogus")
    assert str(raised.value) == "PORTAL_TRACING must be one of off, console, otlp, not 'bogus'"


@pytest.mark.parametrize("mode", ["off", "OFF", "", None])
def test_configure_tracing_off_does_nothing(mode, tracer_provider):
    assert configure_tracing(mode) is False
    assert trace.get_tracer_provider() is tracer_provider


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def otlp_collector() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A minimal OTLP/HTTP receiver: records each export request (path, protobuf body)."""
    received: list[tuple[str, bytes]] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="otlp-collector", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
    thread.join(5)


# Runs in a fresh interpreter: an exporter that configure_tracing attaches to the global provider
# cannot be detached again, and must not keep exporting this test session's spans.
OTLP_SCRIPT = """
import json, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from portal.inference.azure_backend import AzureInferenceBackend
from portal.inference import ChatMessage, ChatOptions
from portal.settings import build_connection
from portal.tracing import configure_tracing
from tests.connections.conftest import ROOT

endpoint, model, prompt = sys.argv[1:4]
provider = TracerProvider()  # installed by someone else before the app configures tracing
trace.set_tracer_provider(provider)
memory = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(memory))
# Twice, as happens when Streamlit's resource cache is cleared and the app configures again.
results = [configure_tracing("otlp", content_recording=False), configure_tracing("otlp", content_recording=False)]
backend = AzureInferenceBackend(build_connection("otlp", {"endpoint": endpoint, "auth": "none"}))
backend.complete_chat([ChatMessage(role="user", content=prompt)], ChatOptions(model=model))
flushed = provider.force_flush(10_000)
print(json.dumps({
    "results": results,
    "same_provider": trace.get_tracer_provider() is provider,
    "flushed": flushed,
    "memory": [s.name for s in memory.get_finished_spans() if s.name.startswith("chat")],
}))
"""


def test_configure_tracing_exports_through_an_existing_provider(otlp_collector, local_server):
    url, received = otlp_collector
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AZURE_SDK_TRACING", "AZURE_TRACING"))}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = url
    model = f"trace-probe-{uuid.uuid4().hex[:8]}"  # the root endpoint answers any model name with local-chat
    completed = subprocess.run(
        [sys.executable, "-c", OTLP_SCRIPT, local_server.url, model, PROMPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report == {"results": [True, True], "same_provider": True, "flushed": True, "memory": [f"chat {model}"]}
    carrying = [(path, body) for path, body in received if f"chat {model}".encode() in body]
    assert [path for path, _ in carrying] == ["/v1/traces"]  # exported once, not once per configure call
    assert carrying[0][1].count(f"chat {model}".encode()) == 1
    assert b"PAPAYA-4417" not in b"".join(body for _, body in received)  # content recording off
