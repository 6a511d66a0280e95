"""Compare mode: one prompt answered by 2 to 4 targets at once, each reply a sibling of the user message.

Why this module exists: a target is a connection (by name), a model and a few parameters; a round
runs one worker thread per target through the ordinary ChatService reply machinery (`turn` with
`after=` the user message: the row is created before the request, partial text is flushed, a stopped
or failed reply keeps what arrived, the tool loop runs), and the page script only draws what the
workers put in their columns. No streamlit here: the page (components/compare_view.py) owns the
drawing loop, the per-column Stop buttons and the registry of running rounds.

Storage shape: the user message is stored once; each target's reply is an assistant message whose
parent is that user message (tool rounds follow it on its own branch), with `params["compare"]` =
{"target": index, "label": ..., "connection": name} (a connection's NAME, never its endpoint or key).
The user message's `parts["compare"]` = {"targets": [labels], "picked": reply id or None} remembers
the round, so a reload shows its columns again until one is picked ("continue with this").
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.records import MessageRecord, MessageStatus

from .chat_service import ChatService, PendingReply, PreparedReply, ToolStep
from .chat_settings import ChatSettings
from .inference import InferenceError
from .reply_stream import INTERRUPTED, STOPPED, ReplyOutcome
from .tools import ToolResult
from .turns import TurnStats, group_turns, parts_of

MIN_TARGETS, MAX_TARGETS = 2, 4
COMPARE = "compare"  # the key in ChatSettings.compare's owner (settings), a reply's params, a user message's parts
ORPHAN_SECONDS = 15.0  # no page drew the round this long (tab closed between runs): the workers stop as interrupted
MAX_LABEL_CHARS = 80
ROW_ORDER_WAIT_SECONDS = 10.0  # a target waits at most this long for the previous one's row (a locked database)

logger = logging.getLogger(__name__)


def _number(value: Any, integer: bool = False) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if integer else float(value)


@dataclass(frozen=True)
class Target:
    """One column: a connection (by name), a model or deployment (None: the connection's default) and
    the parameters that differ from the conversation's (None: the conversation's)."""

    connection: str
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    system_prompt: str | None = None

    def settings(self, base: ChatSettings) -> ChatSettings:
        changes: dict[str, Any] = {}
        if self.model:
            changes["model"] = self.model
        if self.temperature is not None:
            changes["temperature"] = self.temperature
        if self.max_tokens is not None:
            changes["max_tokens"] = self.max_tokens
        if self.system_prompt is not None:
            changes["system_prompt"] = self.system_prompt
        return base.with_changes(**changes)

    def label(self, index: int, default_model: str | None = None) -> str:
        """`2. gpt-4o · T 0.7 · max 200` (what tells the columns apart; user text, escape when drawn)."""
        pieces = [f"{index + 1}. {self.model or default_model or 'default model'}"]
        if self.temperature is not None:
            pieces.append(f"T {self.temperature:g}")
        if self.max_tokens is not None:
            pieces.append(f"max {self.max_tokens:,}")
        if self.system_prompt is not None:
            pieces.append("own system prompt")
        return " · ".join(pieces)[:MAX_LABEL_CHARS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "system_prompt": self.system_prompt,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Target | None:
        if not isinstance(data, dict) or not isinstance(data.get("connection"), str):
            return None
        model = data.get("model")
        prompt = data.get("system_prompt")
        temperature = _number(data.get("temperature"))
        max_tokens = _number(data.get("max_tokens"), integer=True)
        return cls(
            connection=data["connection"],
            model=model if isinstance(model, str) and model.strip() else None,
            temperature=temperature if temperature is not None and 0 <= temperature <= 2 else None,
            max_tokens=int(max_tokens) if max_tokens is not None and max_tokens >= 1 else None,
            system_prompt=prompt if isinstance(prompt, str) else None,
        )


@dataclass(frozen=True)
class CompareSetup:
    """Compare mode's settings, stored in the conversation's settings (ChatSettings.compare)."""

    enabled: bool = False
    targets: tuple[Target, ...] = ()

    @property
    def ready(self) -> bool:
        return self.enabled and MIN_TARGETS <= len(self.targets) <= MAX_TARGETS

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "targets": [t.to_dict() for t in self.targets]}

    @classmethod
    def from_settings(cls, settings: ChatSettings) -> CompareSetup:
        data = settings.compare if isinstance(settings.compare, dict) else {}
        listed = data.get("targets")
        raw: list[Any] = listed if isinstance(listed, list) else []
        targets = tuple(t for t in (Target.from_dict(item) for item in raw[:MAX_TARGETS]) if t is not None)
        return cls(enabled=data.get("enabled") is True, targets=targets)

    @staticmethod
    def starting_targets(connection: str, model: str | None) -> tuple[Target, ...]:
        """What the editor offers first: the conversation's model at two temperatures."""
        return (Target(connection, model, temperature=0.2), Target(connection, model, temperature=1.0))


# -- a running round ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnView:
    """What one column shows at a moment (a copy: the worker keeps writing its own)."""

    index: int
    label: str
    text: str
    tools: tuple[ToolResult, ...]
    notice: str | None  # "Retrying in 2 s…" while a retry waits
    done: bool
    status: str | None  # how its last reply ended (None while streaming)
    error: str | None
    stats: TurnStats | None
    reply_id: int | None  # the first reply's row
    version: int


class Column:
    """One target's worker and the thread-safe buffer it writes into."""

    def __init__(self, index: int, target: Target, label: str, on_change: Callable[[], None]):
        self.index = index
        self.target = target
        self.label = label
        self._on_change = on_change
        self._lock = threading.Lock()
        self._parts: list[str] = []
        self._tools: list[ToolResult] = []
        self._notice: str | None = None
        self._outcomes: list[ReplyOutcome] = []
        self._failure: str | None = None
        self._reply_id: int | None = None
        self._version = 0
        self.stop_status: str | None = None
        self.stop_requested = threading.Event()
        self.done = threading.Event()
        self.row_ready = threading.Event()  # its first reply's row exists (or it never will)

    def _changed(self) -> None:
        self._version += 1
        self._on_change()

    def add_text(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)
            self._notice = None
            self._changed()

    def add_tools(self, results: Sequence[ToolResult]) -> None:
        with self._lock:
            self._tools.extend(results)
            self._changed()

    def waiting(self, seconds: float, attempt: int, error: InferenceError, max_retries: int) -> None:
        with self._lock:
            self._notice = f"{error.headline}. Retrying in {seconds:,.1f} s (attempt {attempt} of {max_retries})…"
            self._changed()

    def reply_started(self, message_id: int) -> None:
        with self._lock:
            if self._reply_id is None:
                self._reply_id = message_id
            if self._parts:
                self._parts.append("\n\n")
        self.row_ready.set()

    def reply_ended(self, outcome: ReplyOutcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)
            self._changed()

    def fail(self, text: str) -> None:
        with self._lock:
            self._failure = text
            self._changed()

    def finish(self) -> None:
        with self._lock:
            self._notice = None
            self.done.set()
            self._changed()

    def view(self) -> ColumnView:
        with self._lock:
            outcomes = list(self._outcomes)
            last = outcomes[-1] if outcomes else None
            error = self._failure
            if error is None and last is not None and last.error is not None:
                error = last.error.user_message()
            done = self.done.is_set()
            return ColumnView(
                index=self.index,
                label=self.label,
                text="".join(self._parts),
                tools=tuple(self._tools),
                notice=self._notice,
                done=done,
                status=(last.status if last is not None else (MessageStatus.ERROR if self._failure else None)) if done else None,
                error=error,
                stats=stats_of(outcomes, len(self._tools)) if done and outcomes else None,
                reply_id=self._reply_id,
                version=self._version,
            )


def stats_of(outcomes: Sequence[ReplyOutcome], tool_calls: int) -> TurnStats:
    """One column's stats line, from its model calls (the way Turn.stats sums stored replies)."""
    prompt = [o.usage.prompt_tokens for o in outcomes if o.usage]
    completion = [o.usage.completion_tokens for o in outcomes if o.usage]
    reasoning = [o.usage.reasoning_tokens for o in outcomes if o.usage and o.usage.reasoning_tokens]
    generating = [
        o.total_time_ms - o.time_to_first_token_ms
        for o in outcomes
        if o.total_time_ms is not None and o.time_to_first_token_ms is not None
    ]
    totals = [o.total_time_ms for o in outcomes if o.total_time_ms is not None]
    return TurnStats(
        model=next((o.model for o in reversed(outcomes) if o.model), None),
        prompt_tokens=sum(prompt) if prompt else None,
        completion_tokens=sum(completion) if completion else None,
        reasoning_tokens=sum(reasoning) if reasoning else None,
        time_to_first_token_ms=next((o.time_to_first_token_ms for o in outcomes if o.time_to_first_token_ms is not None), None),
        total_time_ms=sum(totals) if totals else None,
        generating_ms=sum(generating) if generating else None,
        finish_reason=outcomes[-1].finish_reason if outcomes else None,
        model_calls=len(outcomes),
        tool_calls=tool_calls,
    )


@dataclass
class RoundTarget:
    """What a round needs for one target: its service (bound to the target's connection, or None when
    the connection is not configured), its settings and its label."""

    target: Target
    service: ChatService | None
    settings: ChatSettings
    label: str


@dataclass
class CompareRound:
    """The targets' workers for one user message. `start()` runs them; the page draws `views()`,
    calls `heartbeat()` while it does, and `finish()` once `done`."""

    conversation_id: str
    user_message_id: int
    targets: list[RoundTarget]
    max_retries: int = 3
    clock: Callable[[], float] = time.monotonic
    orphan_seconds: float = ORPHAN_SECONDS
    columns: list[Column] = field(init=False)
    unsaved: list[PendingReply] = field(default_factory=list)  # final states the database refused (the page's outbox keeps them)
    changed: threading.Event = field(default_factory=threading.Event)
    finished: bool = False

    def __post_init__(self) -> None:
        self.columns = [Column(i, t.target, t.label, self.changed.set) for i, t in enumerate(self.targets)]
        self._seen = self.clock()
        self._threads: list[threading.Thread] = []
        self._unsaved_lock = threading.Lock()
        self._all_done = threading.Event()

    def start(self) -> None:
        for column, target in zip(self.columns, self.targets, strict=True):
            thread = threading.Thread(target=self._work, args=(column, target), name=f"compare-{self.user_message_id}-{column.index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    # the page's side

    def heartbeat(self) -> None:
        self._seen = self.clock()

    def orphaned(self) -> bool:
        return self.clock() - self._seen > self.orphan_seconds

    def views(self) -> list[ColumnView]:
        return [column.view() for column in self.columns]

    @property
    def done(self) -> bool:
        return all(column.done.is_set() for column in self.columns)

    def stop(self, index: int, status: str = STOPPED) -> None:
        """Stop one column at its next chunk (its partial text is kept as `status`)."""
        if 0 <= index < len(self.columns):
            column = self.columns[index]
            column.stop_status = column.stop_status or status
            column.stop_requested.set()

    def stop_all(self, status: str = STOPPED) -> None:
        for index in range(len(self.columns)):
            self.stop(index, status)

    def wait(self, timeout: float) -> None:
        """Block until a column changes (or `timeout`), then clear the change flag."""
        self.changed.wait(timeout)
        self.changed.clear()

    def settle(self, seconds: float) -> None:
        """Wait `seconds` unless every column ends first (the page's pacing between redraws)."""
        if seconds > 0:
            self._all_done.wait(seconds)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def finish(self, service: ChatService) -> int | None:
        """After the workers: show the first target's branch that has a reply (the next prompt goes on
        from it until the user picks another); return that reply's id."""
        self.finished = True
        for view in self.views():
            if view.reply_id is not None:
                service.show_branch(self.conversation_id, view.reply_id)
                return view.reply_id
        return None

    # the workers' side

    def _work(self, column: Column, target: RoundTarget) -> None:
        try:
            if column.index > 0:
                # Rows in target order (the siblings' ‹ 1 / 3 › order is their ids'); a row is one INSERT,
                # so the requests still go out together.
                self.columns[column.index - 1].row_ready.wait(ROW_ORDER_WAIT_SECONDS)
            if target.service is None:
                column.fail(f"The connection “{target.target.connection}” is not configured here; choose another for this target.")
                return
            self._run_turn(column, target.service, target)
        except Exception as exc:  # noqa: BLE001 (one target's failure must not disturb the others)
            logger.warning("compare: target %s of message %s failed: %s", column.index, self.user_message_id, type(exc).__name__)
            explain = getattr(exc, "user_message", None)
            column.fail(explain() if callable(explain) else f"The reply could not be written ({type(exc).__name__}).")
        finally:
            column.row_ready.set()
            column.finish()
            if self.done:
                self._all_done.set()

    def _keep_unsaved(self, pending: PendingReply) -> None:
        with self._unsaved_lock:
            self.unsaved.append(pending)

    def _run_turn(self, column: Column, service: ChatService, target: RoundTarget) -> None:
        extra = {COMPARE: {"target": column.index, "label": column.label, "connection": target.target.connection}}
        steps: Generator[PreparedReply | ToolStep, None, None] = service.turn(  # type: ignore[assignment]
            self.conversation_id,
            target.settings,
            on_wait=lambda seconds, attempt, error: column.waiting(seconds, attempt, error, self.max_retries),
            max_retries=self.max_retries,
            on_unsaved=self._keep_unsaved,
            after=self.user_message_id,
            extra_params=extra,
        )
        try:
            for step in steps:
                if isinstance(step, ToolStep):
                    column.add_tools(step.results)
                elif isinstance(step, PreparedReply):
                    column.reply_started(step.assistant_message_id)
                    self._read(column, step)
                if self._should_stop(column):
                    break
        finally:
            steps.close()

    def _should_stop(self, column: Column) -> bool:
        if self.orphaned() and not column.stop_requested.is_set():
            self.stop(column.index, INTERRUPTED)
        return column.stop_requested.is_set()

    def _read(self, column: Column, step: PreparedReply) -> None:
        stream = step.stream
        for text in stream:
            column.add_text(text)
            if self._should_stop(column):
                break
        if stream.outcome is None:
            stream.close(column.stop_status or STOPPED)
        if stream.outcome is not None:
            column.reply_ended(stream.outcome)


# -- rounds read back from storage -------------------------------------------------------------------


def round_of(message: MessageRecord) -> dict[str, Any] | None:
    """The compare round a user message started (its `parts["compare"]`), or None."""
    data = parts_of(message).get(COMPARE)
    return data if message.role == "user" and isinstance(data, dict) else None


def unpicked(message: MessageRecord) -> bool:
    data = round_of(message)
    return data is not None and data.get("picked") is None


def stored_columns(service: ChatService, conversation_id: str, user_message: MessageRecord) -> list[list[MessageRecord]]:
    """The latest round's columns: per target, its newest reply's turn (the reply and its tool rounds,
    not what followed), in target order. Replies made outside compare mode are not columns."""
    newest: dict[int, list[MessageRecord]] = {}
    for branch in service.replies_to(conversation_id, user_message.id):
        turns = group_turns(branch)
        if turns and isinstance((turns[0].first.params or {}).get(COMPARE), dict):
            newest[target_index(turns[0].first)] = list(turns[0].messages)  # oldest first: a later round replaces
    return [newest[index] for index in sorted(newest)]


def target_index(reply: MessageRecord) -> int:
    data = (reply.params or {}).get(COMPARE)
    index = data.get("target") if isinstance(data, dict) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else MAX_TARGETS


def target_label(reply: MessageRecord) -> str:
    data = (reply.params or {}).get(COMPARE)
    label = data.get("label") if isinstance(data, dict) else None
    return str(label) if label else (reply.model or "reply")


def pick(service: ChatService, conversation_id: str, user_message: MessageRecord, reply_id: int) -> bool:
    """"Continue with this": show the branch through `reply_id` and remember the pick with the round."""
    if not service.show_branch(conversation_id, reply_id):
        return False
    data = dict(round_of(user_message) or {})
    data["picked"] = reply_id
    return service.set_message_part(conversation_id, user_message.id, COMPARE, data)


# -- figures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFigures:
    """One target's running figures over the conversation's compare rounds."""

    label: str
    rounds: int
    mean_first_token_ms: float | None
    mean_tokens_per_second: float | None
    failures: int


def round_timings(columns: Sequence[Sequence[MessageRecord]]) -> list[tuple[str, float | None, float | None]]:
    """(label, first token ms, total ms) per column of one round: the chart after the round."""
    rows = []
    for messages in columns:
        stats = group_turns(messages)[0].stats() if messages else None
        label = target_label(messages[0]) if messages else "?"
        rows.append((label, stats.time_to_first_token_ms if stats else None, stats.total_time_ms if stats else None))
    return rows


def running_figures(messages: Sequence[MessageRecord]) -> list[TargetFigures]:
    """Per target label, over every compare reply of the conversation (all branches): rounds, mean time
    to first token, mean tokens/s and failures. A round counts a target's first reply to a user message."""
    by_id = {m.id: m for m in messages}
    grouped: dict[str, list[MessageRecord]] = {}
    for message in messages:
        if message.role != "assistant" or not isinstance((message.params or {}).get(COMPARE), dict):
            continue
        parent = by_id.get(message.parent_id) if message.parent_id is not None else None
        if parent is None or parent.role != "user":
            continue  # a later model call of a tool round
        grouped.setdefault(target_label(message), []).append(message)
    figures = []
    for label, replies in sorted(grouped.items()):
        first_tokens = [m.time_to_first_token_ms for m in replies if m.time_to_first_token_ms is not None]
        rates = [
            m.completion_tokens / ((m.total_time_ms - m.time_to_first_token_ms) / 1000)
            for m in replies
            if m.completion_tokens and m.total_time_ms is not None and m.time_to_first_token_ms is not None
            and m.total_time_ms > m.time_to_first_token_ms
        ]
        figures.append(
            TargetFigures(
                label=label,
                rounds=len(replies),
                mean_first_token_ms=statistics.fmean(first_tokens) if first_tokens else None,
                mean_tokens_per_second=statistics.fmean(rates) if rates else None,
                failures=sum(1 for m in replies if m.status == MessageStatus.ERROR),
            )
        )
    return figures
