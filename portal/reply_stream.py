"""The streaming adapter: turns backend events into text for `st.write_stream` while measuring and saving.

It measures where the bytes arrive (time to first token, total time, tokens per second), keeps every
delta so that a stop, an error or a cut connection keeps what arrived, calls `on_flush` with the
partial text at most once per `flush_interval` (so a crash loses at most that much), retries rate
limits and transient 5xx before the first token (bounded, telling `on_wait` how long it waits), and
calls `on_finish` exactly once with the outcome, whatever happens. A reasoning model's thinking is
kept apart from the answer (`reasoning`) and handed to `on_reasoning` as it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

from storage.records import MessageStatus

from .inference import ChatEvent, ErrorKind, InferenceError, ReasoningDelta, StreamEnd, TextDelta, ToolCall, ToolCallDelta, Usage

# How a reply ended: the message statuses it is stored with (INTERRUPTED: the page was closed).
COMPLETE, STOPPED, ERROR = MessageStatus.COMPLETE, MessageStatus.STOPPED, MessageStatus.ERROR
INCOMPLETE, INTERRUPTED = MessageStatus.INCOMPLETE, MessageStatus.INTERRUPTED
RETRYABLE = (ErrorKind.RATE_LIMITED, ErrorKind.SERVER)
DEFAULT_RETRY_WAIT_SECONDS = 1.0
MAX_RETRY_WAIT_SECONDS = 60.0


@dataclass
class ReplyOutcome:
    status: str
    content: str
    finish_reason: str | None = None
    model: str | None = None
    usage: Usage | None = None
    time_to_first_token_ms: float | None = None
    total_time_ms: float | None = None
    error: InferenceError | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    retries: int = 0
    waited_seconds: float = 0.0  # spent waiting between retries
    reasoning: str = ""  # the model's thinking, never part of `content`
    response_id: str | None = None  # the Responses API's stored response, for previous_response_id

    @property
    def tokens_per_second(self) -> float | None:
        if not self.usage or not self.total_time_ms or self.time_to_first_token_ms is None:
            return None
        generating_ms = self.total_time_ms - self.time_to_first_token_ms
        return self.usage.completion_tokens / (generating_ms / 1000) if generating_ms > 0 else None


@dataclass
class _ToolCallBuilder:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ReplyStream:
    """An iterator of text deltas; `close()` (or the end of iteration) finalises the reply once."""

    def __init__(
        self,
        open_stream: Callable[[], Iterator[ChatEvent]],
        *,
        on_finish: Callable[[ReplyOutcome], None],
        on_flush: Callable[[str], None] | None = None,
        on_wait: Callable[[float, int, InferenceError], None] | None = None,
        on_reasoning: Callable[[str], None] | None = None,
        max_retries: int = 3,
        flush_interval: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._open_stream = open_stream
        self._on_finish = on_finish
        self._on_flush = on_flush
        self._on_wait = on_wait
        self._on_reasoning = on_reasoning
        self._max_retries = max_retries
        self._flush_interval = flush_interval
        self._clock = clock
        self._sleep = sleep
        self._parts: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, _ToolCallBuilder] = {}
        self._end: StreamEnd | None = None
        self._started = clock()
        self._first_token_at: float | None = None
        self._retries = 0
        self._waited = 0.0
        self._generator = self._run()
        self.outcome: ReplyOutcome | None = None

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def __iter__(self) -> ReplyStream:
        return self

    def __next__(self) -> str:
        return next(self._generator)

    def close(self, status: str = STOPPED) -> ReplyOutcome:
        """Stop reading (if still reading) and finalise with `status` unless already finalised."""
        self._generator.close()
        return self._finish(status, None)

    def _run(self) -> Generator[str, None, None]:
        events: Iterator[ChatEvent] | None = None
        error: InferenceError | None = None
        last_flush = self._started
        try:
            while True:
                try:
                    events = self._open_stream()
                    for event in events:
                        if isinstance(event, TextDelta):
                            if self._first_token_at is None:
                                self._first_token_at = self._clock()
                            self._parts.append(event.text)
                            yield event.text
                            if self._on_flush is not None:
                                now = self._clock()
                                if now - last_flush >= self._flush_interval:
                                    last_flush = now
                                    self._on_flush(self.text)
                        elif isinstance(event, ReasoningDelta):
                            if self._first_token_at is None:
                                self._first_token_at = self._clock()
                            self._reasoning.append(event.text)
                            if self._on_reasoning is not None:
                                self._on_reasoning(event.text)
                        elif isinstance(event, ToolCallDelta):
                            if self._first_token_at is None:
                                self._first_token_at = self._clock()
                            builder = self._tool_calls.setdefault(event.index, _ToolCallBuilder())
                            builder.id = event.id or builder.id
                            builder.name = event.name or builder.name
                            builder.arguments.append(event.arguments)
                        elif isinstance(event, StreamEnd):
                            self._end = event
                    break
                except InferenceError as exc:
                    if self._can_retry(exc):
                        self._retries += 1
                        wait = min(exc.retry_after_seconds or DEFAULT_RETRY_WAIT_SECONDS * self._retries, MAX_RETRY_WAIT_SECONDS)
                        if self._on_wait is not None:
                            self._on_wait(wait, self._retries, exc)
                        self._sleep(wait)
                        self._waited += wait
                        continue
                    error = exc
                    break
        finally:
            if events is not None and hasattr(events, "close"):
                events.close()
        if error is not None:
            self._finish(INCOMPLETE if error.kind == ErrorKind.STREAM_CUT else ERROR, error)
        elif self._end is None or self._end.finish_reason is None:
            cut = InferenceError(
                ErrorKind.STREAM_CUT, "The stream ended without a finish reason; the reply may be incomplete", detail="the stream ended without a finish reason"
            )
            self._finish(INCOMPLETE, cut)
        else:
            self._finish(COMPLETE, None)

    def _can_retry(self, error: InferenceError) -> bool:
        nothing_arrived = not self._parts and not self._tool_calls and not self._reasoning
        return error.kind in RETRYABLE and nothing_arrived and self._retries < self._max_retries

    def _finish(self, status: str, error: InferenceError | None) -> ReplyOutcome:
        """Set the outcome and call `on_finish`, the first time only; return the outcome either way."""
        if self.outcome is not None:
            return self.outcome
        now = self._clock()
        end = self._end
        self.outcome = ReplyOutcome(
            status=status,
            content=self.text,
            finish_reason=end.finish_reason if end else None,
            model=end.model if end else None,
            usage=end.usage if end else None,
            time_to_first_token_ms=(self._first_token_at - self._started) * 1000 if self._first_token_at else None,
            total_time_ms=(now - self._started) * 1000,
            error=error,
            tool_calls=tuple(
                ToolCall(id=b.id, name=b.name, arguments="".join(b.arguments)) for _, b in sorted(self._tool_calls.items())
            ),
            retries=self._retries,
            waited_seconds=self._waited,
            reasoning=self.reasoning,
            response_id=end.response_id if end else None,
        )
        self._on_finish(self.outcome)
        return self.outcome
