"""Compare mode on the chat page: the target editor, the live columns of a running round (one Stop each),
the stored columns of a round nobody picked from yet ("Continue with this"), and the figures.

How a round runs (portal/compare.py has the workers): the page script that answers the message starts
one worker thread per target and registers the round under the browser session's id, then loops,
drawing each column's text as it arrives. The workers belong to the session, not to the script run:
a column's Stop button reruns the script, its callback sets that column's stop flag, and the new run
finds the round still registered and draws it again. The chat input's Stop (or a closed tab) stops
the run itself: every column is stopped (interrupted for a closed tab). If no run draws the round for
a while (the tab went away between runs) the workers stop on their own (compare.ORPHAN_SECONDS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.compare import (
    COMPARE,
    MAX_TARGETS,
    MIN_TARGETS,
    ColumnView,
    CompareRound,
    CompareSetup,
    RoundTarget,
    Target,
    pick,
    round_timings,
    running_figures,
    stored_columns,
    target_label,
    unpicked,
)
from portal.markdown_text import escape_markdown
from portal.outbox import Outbox
from portal.reply_stream import INTERRUPTED, STOPPED
from portal.safe_markdown import neutralize_links
from portal.settings import Connection
from portal.stream_pacing import MIN_INTERVAL_SECONDS
from portal.turns import ASSISTANT, Turn
from storage.errors import DatabaseUnavailable
from storage.records import MessageRecord, MessageStatus

from . import resources, services, state
from .figures import compare_timing_figure
from .message_view import STATUS_MARKERS, render_turn
from .reply_view import page_closed

TICK_SECONDS = 0.25  # how often a waiting column's clock is redrawn (and the run checks for a Stop click)
DEFAULT_MODEL_OPTION = "(the connection's default)"

_rounds: dict[str, CompareRound] = {}  # running rounds by browser session id
_rounds_lock = threading.Lock()


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def active_round(conversation_id: str) -> CompareRound | None:
    """This session's round still running (or not yet drawn to its end) in `conversation_id`."""
    with _rounds_lock:
        found = _rounds.get(_session_id())
    return found if found is not None and found.conversation_id == conversation_id else None


def _register(compare: CompareRound) -> None:
    with _rounds_lock:
        for session_id, other in list(_rounds.items()):
            if other.done and (other.finished or other.orphaned()):
                del _rounds[session_id]  # ended and nobody came back for it
        _rounds[_session_id()] = compare


def _unregister(compare: CompareRound) -> None:
    with _rounds_lock:
        for session_id, other in list(_rounds.items()):
            if other is compare:
                del _rounds[session_id]


def _stop_column(index: int) -> None:
    with _rounds_lock:
        compare = _rounds.get(_session_id())
    if compare is not None:
        compare.stop(index)


# -- the editor ---------------------------------------------------------------------------------------


def compare_editor(stored: ChatSettings, connection: Connection, scope: str) -> ChatSettings:
    """The "Compare models" switch and, when on, 2 to 4 targets (connection, model, temperature, max
    tokens, own system prompt); stored with the conversation's settings (connection names only)."""
    setup = CompareSetup.from_settings(stored)
    enabled = st.toggle(
        "Compare models", value=setup.enabled, key=f"compare_on_{scope}",
        help="Send each message to 2 to 4 targets at once and see their answers side by side.",
    )
    targets = setup.targets or CompareSetup.starting_targets(connection.name, stored.model)
    if not enabled:
        return stored if not setup.enabled else stored.with_changes(compare=CompareSetup(False, targets).to_dict())
    names = [c.name for c in resources.get_settings().connections]
    count = int(
        st.number_input("Targets", MIN_TARGETS, MAX_TARGETS, value=max(MIN_TARGETS, len(targets)), step=1, key=f"compare_count_{scope}")
    )
    chosen = []
    for index in range(count):
        base = targets[index] if index < len(targets) else targets[-1]
        chosen.append(_target_row(index, base, names, scope))
    return stored.with_changes(compare=CompareSetup(True, tuple(chosen)).to_dict())


def _target_row(index: int, base: Target, names: list[str], scope: str) -> Target:
    number = index + 1
    st.markdown(f"**Target {number}**")
    left, middle = st.columns(2)
    name = left.selectbox(
        f"Connection ({number})", names, index=names.index(base.connection) if base.connection in names else 0,
        key=f"compare_conn_{scope}_{index}",
    )
    model = _model_input(middle, resources.get_settings().connection(name), base.model, f"compare_model_{scope}_{index}", number)
    low, high = st.columns(2)
    temperature = low.number_input(
        f"Temperature ({number})", 0.0, 2.0, value=base.temperature, step=0.1, key=f"compare_temp_{scope}_{index}",
        placeholder="conversation's",
    )
    max_tokens = high.number_input(
        f"Max tokens ({number})", 1, 1_000_000, value=base.max_tokens, step=1, key=f"compare_max_{scope}_{index}",
        placeholder="conversation's",
    )
    prompt = st.text_input(
        f"System prompt ({number})", value=base.system_prompt or "", key=f"compare_prompt_{scope}_{index}",
        placeholder="empty: the conversation's",
    )
    return Target(
        connection=name, model=model, temperature=None if temperature is None else float(temperature),
        max_tokens=None if max_tokens is None else int(max_tokens), system_prompt=prompt or None,
    )


def _model_input(where: DeltaGenerator, connection: Connection, current: str | None, key: str, number: int) -> str | None:
    options = list(resources.get_model_choices(connection).chat)
    if len(options) > 1:
        listed = [DEFAULT_MODEL_OPTION, *options, *([current] if current and current not in options else [])]  # a stored name stays
        chosen = where.selectbox(f"Model ({number})", listed, index=listed.index(current) if current in listed else 0, key=key)
        return None if chosen == DEFAULT_MODEL_OPTION else chosen
    return where.text_input(f"Model ({number})", value=current or "", key=key, placeholder=connection.chat_model or "default") or None


def setup_caption(settings: ChatSettings) -> str | None:
    setup = CompareSetup.from_settings(settings)
    if not setup.ready:
        return None
    return f"Compare mode: each message goes to {len(setup.targets)} targets"


# -- a running round ----------------------------------------------------------------------------------


def wants_round(settings: ChatSettings) -> bool:
    return CompareSetup.from_settings(settings).ready


def start_round(service: ChatService, conversation_id: str, settings: ChatSettings, outbox: Outbox) -> bool:
    """Answer the message at the end of the shown branch with every target; False (nothing started)
    when the branch does not end at a user message."""
    try:
        compare = _new_round(service, conversation_id, settings)
    except DatabaseUnavailable:
        outbox.want_reply(conversation_id)  # nothing was requested: the round runs when the database is back
        raise
    if compare is None:
        return False
    _register(compare)
    compare.start()
    stream_round(service, compare, outbox)
    return True


def _new_round(service: ChatService, conversation_id: str, settings: ChatSettings) -> CompareRound | None:
    messages, _ = service.recent_messages(conversation_id, 1)
    if not messages or messages[-1].role != "user":
        return None
    user = messages[-1]
    app = resources.get_settings()
    names = {c.name for c in app.connections}
    round_targets = []
    for index, target in enumerate(CompareSetup.from_settings(settings).targets):
        connection = app.connection(target.connection) if target.connection in names else None
        default_model = (resources.get_model_choices(connection).default_chat or connection.chat_model) if connection else None
        service_for = services.chat_service(connection) if connection is not None else None
        round_targets.append(RoundTarget(target, service_for, target.settings(settings), target.label(index, default_model)))
    service.set_message_part(conversation_id, user.id, COMPARE, {"targets": [t.label for t in round_targets], "picked": None})
    return CompareRound(conversation_id, user.id, round_targets, max_retries=app.max_rate_limit_retries)


class _LiveColumn:
    def __init__(self, view: ColumnView, connection: str):
        with st.container(key=f"compare_col_{view.index}", border=True):
            st.markdown(f"**{escape_markdown(view.label)}**")
            st.caption(f"Connection {escape_markdown(connection)}")
            st.button(
                "Stop", key=f"compare_stop_{view.index}", icon=":material/stop_circle:", type="tertiary",
                on_click=_stop_column, args=(view.index,), disabled=view.done, help="Stop this target; the others go on",
            )
            self.notice = st.empty()
            self.tools = st.empty()
            self.body = st.empty()
            self.footer = st.empty()
        self.version = -1
        self.tools_drawn = 0

    def draw(self, view: ColumnView) -> None:
        if view.version == self.version:
            return
        self.version = view.version
        if view.notice:
            self.notice.info(view.notice)
        else:
            self.notice.empty()
        if len(view.tools) != self.tools_drawn:
            self.tools_drawn = len(view.tools)
            chips = " · ".join(f":material/build: {escape_markdown(t.name)} {t.duration_ms:,.0f} ms" for t in view.tools)
            self.tools.caption(chips)
        if view.text:
            self.body.markdown(neutralize_links(view.text))
        if view.done:
            self._final(view)

    def _final(self, view: ColumnView) -> None:
        with self.footer.container():
            if view.status == MessageStatus.ERROR or (view.error and view.status == MessageStatus.INCOMPLETE):
                st.error(view.error or STATUS_MARKERS[MessageStatus.ERROR][0])
            elif view.status in STATUS_MARKERS and view.status != MessageStatus.COMPLETE:
                text, level = STATUS_MARKERS[view.status]
                getattr(st, level)(text)
            if view.stats is not None and (line := view.stats.line()):
                st.caption(line)

    def tick(self, seconds: float) -> None:
        self.footer.caption(f"Streaming… {seconds:,.1f} s")


def stream_round(service: ChatService, compare: CompareRound, outbox: Outbox, clock: Callable[[], float] = time.monotonic) -> None:
    """Draw the round's columns until every target is done, then store the outcome and rerun."""
    if st.session_state.get(state.AFTER_STOP):  # the chat input's Stop ended the previous run
        compare.stop_all(STOPPED)
    views = compare.views()
    columns = st.columns(len(views))
    live = []
    for view, column, target in zip(views, columns, compare.targets, strict=True):
        with column:
            live.append(_LiveColumn(view, target.target.connection))
    started = clock()
    last_tick = float("-inf")
    try:
        while True:
            compare.heartbeat()
            drawn_at = clock()
            for slot, view in zip(live, compare.views(), strict=True):
                slot.draw(view)
            if compare.done:
                break
            if drawn_at - last_tick >= TICK_SECONDS:  # a clock per waiting column; also where a Stop click is noticed
                last_tick = drawn_at
                for slot, view in zip(live, compare.views(), strict=True):
                    if not view.done:
                        slot.tick(drawn_at - started)
            compare.wait(TICK_SECONDS)
            compare.settle(MIN_INTERVAL_SECONDS - (clock() - drawn_at))  # at most 20 redraws a second
    except BaseException as exc:
        from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

        # A rerun (a column's Stop, any widget) stops this run the same way as the chat input's Stop (fast
        # reruns), so the columns go on here; the next run stops them all if it was the chat input's Stop
        # (the page script's click on "Show the stopped reply"). A closed tab stops them at once.
        if not isinstance(exc, RerunException) and page_closed():
            compare.stop_all(INTERRUPTED)
        raise
    compare.finish(service)
    for pending in compare.unsaved:
        outbox.queue_reply(pending)
    _unregister(compare)
    st.rerun()


# -- a stored round nobody picked from yet ------------------------------------------------------------


def split_round(turns: list[Turn], until: int | None) -> tuple[list[Turn], MessageRecord | None]:
    """The turns to draw as usual, and the user message whose round is drawn as columns after them:
    the running round's (`until`), or the last user message's when its round has no pick yet."""
    if until is not None:
        for index, turn in enumerate(turns):
            if turn.first.id == until:
                return turns[: index + 1], None
        return turns, None
    for index in range(len(turns) - 1, -1, -1):
        if turns[index].role == "user":
            if unpicked(turns[index].first) and index < len(turns) - 1:
                return turns[: index + 1], turns[index].first
            break
    return turns, None


def stored_round(service: ChatService, conversation_id: str, user_message: MessageRecord, editable: bool) -> None:
    columns = stored_columns(service, conversation_id, user_message)
    if not columns:
        return
    st.caption(
        "The targets' answers, side by side. Continue with one: the next message goes on from it, and the "
        "others stay one click away (‹ › under the reply)."
    )
    for column, messages in zip(st.columns(len(columns)), columns, strict=True):
        reply = messages[0]
        with column, st.container(key=f"compare_col_{target_index_of(columns, messages)}", border=True):
            st.markdown(f"**{escape_markdown(target_label(reply))}**")
            connection = ((reply.params or {}).get(COMPARE) or {}).get("connection")
            if connection:
                st.caption(f"Connection {escape_markdown(str(connection))}")
            render_turn(Turn(ASSISTANT, tuple(messages)), None)
            if editable:
                st.button(
                    "Continue with this", key=f"compare_pick_{reply.id}", icon=":material/check:",
                    on_click=_pick, args=(service, conversation_id, user_message, reply.id),
                )
    st.plotly_chart(compare_timing_figure(round_timings(columns)), width="stretch", key=f"compare_chart_{user_message.id}")
    running_table(service, conversation_id)


def _pick(service: ChatService, conversation_id: str, user_message: MessageRecord, reply_id: int) -> None:
    pick(service, conversation_id, user_message, reply_id)


def target_index_of(columns: list[list[MessageRecord]], messages: list[MessageRecord]) -> int:
    return next(i for i, c in enumerate(columns) if c is messages)


def running_table(service: ChatService, conversation_id: str) -> None:
    """The targets' running figures over the conversation's compare rounds."""
    figures = running_figures(service.all_messages(conversation_id))
    if not figures:
        return
    st.dataframe(
        [
            {
                "target": f.label,
                "rounds": f.rounds,
                "mean first token (ms)": None if f.mean_first_token_ms is None else round(f.mean_first_token_ms),
                "mean tokens/s": None if f.mean_tokens_per_second is None else round(f.mean_tokens_per_second, 1),
                "failures": f.failures,
            }
            for f in figures
        ],
        hide_index=True,
        key=f"compare_table_{conversation_id}",
    )
