"""Optional OpenTelemetry tracing of model calls, switched on by configuration.

`PORTAL_TRACING=console` prints spans, `PORTAL_TRACING=otlp` exports them to the OTLP/HTTP endpoint in
`OTEL_EXPORTER_OTLP_ENDPOINT` (default http://localhost:4318). Message content is recorded only with
`PORTAL_TRACING_CONTENT=true`. Both backends are covered: azure-ai-inference through its own
`AIInferenceInstrumentor`, the openai package through OpenTelemetry's contrib instrumentation
(`opentelemetry-instrumentation-openai-v2`). Each emits one `chat <model>` span per chat call with
gen_ai.* attributes (model, token counts, finish reasons).
"""

from __future__ import annotations

import logging
import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from .inference.factory import instrument_backends, uninstrument_backends
from .settings import TRACING_MODES

logger = logging.getLogger(__name__)
_exporting: set[tuple[int, str]] = set()  # (provider id, mode) pairs that already have an exporter
_lock = threading.Lock()


def _exporter(mode: str) -> SpanExporter:
    if mode == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS itself


def configure_tracing(mode: str, content_recording: bool = False) -> bool:
    """Install a tracer provider and instrument the SDK; returns whether tracing is on."""
    mode = (mode or "off").lower()
    if mode not in TRACING_MODES:
        raise ValueError(f"PORTAL_TRACING must be one of {', '.join(TRACING_MODES)}, not {mode!r}")
    if mode == "off":
        return False
    with _lock:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):  # OpenTelemetry allows setting it once per process
            provider = TracerProvider(resource=Resource.create({"service.name": "azure-ai-foundry-portal"}))
            trace.set_tracer_provider(provider)
        # Idempotent: a cleared Streamlit resource cache calls this again, and a second exporter
        # for the same mode would export every span twice.
        if (id(provider), mode) not in _exporting:
            provider.add_span_processor(BatchSpanProcessor(_exporter(mode)))
            _exporting.add((id(provider), mode))
        # The inference SDK's instrumentor fails when already instrumented (it calls a method the
        # public AIInferenceInstrumentor does not have), so start from uninstrumented SDKs.
        uninstrument_backends()
        instrument_backends(content_recording)
    logger.info("tracing on (%s), content recording %s", mode, "on" if content_recording else "off")
    return True
