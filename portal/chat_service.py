"""Chat use cases over storage and a backend: send, regenerate, edit and resend, history, export.

Write order (nothing the user typed or received is lost): the user message is committed before
any request; the assistant row is created (status `streaming`) before the request and flushed with
the partial text while it streams; the outcome (complete, stopped, error, incomplete) is saved with
whatever text arrived. Each use case is its own short transaction (storage.database.unit_of_work).

Database outages (recognised by storage/database.py) surface as `DatabaseUnavailable`. While a reply streams they
never stop it: a failed flush is skipped (and retried a little later), and a failed finalisation is
handed to `on_unsaved` (the page's outbox) to be written when the database answers again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from storage import repository
from storage.database import Session, SessionFactory, unit_of_work
from storage.errors import DatabaseUnavailable
from storage.records import ConversationPage, ConversationRecord, FolderRecord, MessageRecord, MessageStatus, Siblings

from .attachments import model_part
from .chat_settings import ChatSettings
from .context_budget import FittedContext, fit_to_budget
from .inference import ChatMessage, InferenceBackend, InferenceError, ToolCall
from .outbox import Outbox, PendingReply
from .reply_stream import COMPLETE, ERROR, RETRYABLE, ReplyOutcome, ReplyStream
from .tools import ToolContext, ToolResult, run_tool_call

TITLE_WORDS = 8
TITLE_CHARS = 60
HISTORY_PAGE = 200
MAX_MESSAGE_CHARS = 1_000_000
MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_IMPORT_MESSAGES = 10_000  # the ORM import writes ~5,000 rows/s on SQLite; this keeps an import to seconds
INTERRUPTED_AFTER_SECONDS = 15.0  # a live stream flushes every second; silence this long means it died
MAX_TOOL_STEPS = 5  # model calls per turn that may still use tools; the next one must answer in text
FLUSH_RETRY_SECONDS = 10.0  # after a failed flush; a locked SQLite file makes each attempt wait the busy timeout

logger = logging.getLogger(__name__)


class EmptyMessage(ValueError):
    """The message has no text (or cannot be sent as it is; see MessageTooLong)."""


class MessageTooLong(EmptyMessage):
    """The message is longer than MAX_MESSAGE_CHARS; nothing is stored."""


def title_from(text: str) -> str:
    words = " ".join(text.split()[:TITLE_WORDS])
    title = words[:TITLE_CHARS].rstrip()
    return title + ("…" if len(words) > TITLE_CHARS or len(text.split()) > TITLE_WORDS else "") if title else "New chat"


def clean_user_text(text: str, allow_empty: bool = False) -> str:
    """Remove NUL and other control characters (keeping newlines and tabs); refuse empty messages."""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and not 127 <= ord(ch) <= 159))  # C0, DEL, C1
    if not cleaned.strip() and not allow_empty:
        raise EmptyMessage("Type a message first: an empty message is not sent.")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise MessageTooLong(f"The message is {len(cleaned):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. It was not sent.")
    return cleaned


def to_chat_message(record: MessageRecord) -> ChatMessage:
    parts = record.parts or {}
    tool_calls = tuple(ToolCall(**call) for call in (parts.get("tool_calls") or [])) if isinstance(parts, dict) else ()
    extra_parts = tuple(model_part(p) for p in parts.get("attachments") or []) if isinstance(parts, dict) else ()
    return ChatMessage(
        role=record.role,
        content=record.content,
        parts=extra_parts,
        tool_calls=tool_calls,
        tool_call_id=parts.get("tool_call_id") if isinstance(parts, dict) else None,
        response_id=parts.get("response_id") if isinstance(parts, dict) and record.status == COMPLETE else None,
    )


def _error_text(outcome: ReplyOutcome) -> str | None:
    if outcome.error is None:
        return None
    text = outcome.error.user_message()
    if outcome.retries and outcome.error.kind in RETRYABLE:  # the retries ran out
        text += f" Gave up after {outcome.retries} automatic {'retry' if outcome.retries == 1 else 'retries'} ({outcome.waited_seconds:,.0f} s of waiting)."
    return text


def reply_parts(outcome: ReplyOutcome) -> dict[str, Any] | None:
    """What a reply stores beside its text: the tool calls it made, and the model's thinking with
    its token count (kept apart from the answer and never sent back to the model)."""
    parts: dict[str, Any] = {}
    if outcome.tool_calls:
        parts["tool_calls"] = [dict(call.__dict__) for call in outcome.tool_calls]
    if outcome.reasoning:
        parts["reasoning"] = outcome.reasoning
    if outcome.usage is not None and outcome.usage.reasoning_tokens:
        parts["reasoning_tokens"] = outcome.usage.reasoning_tokens
    if outcome.response_id:
        parts["response_id"] = outcome.response_id  # a stored response: the next turn continues it
    return parts or None


def sendable(record: MessageRecord) -> bool:
    """Failed replies with no text stay in the history for the user but are not sent to the model."""
    return not (record.role == "assistant" and record.status == ERROR and not record.content and not record.parts)


@dataclass(frozen=True)
class PreparedReply:
    stream: ReplyStream
    context: FittedContext
    assistant_message_id: int
    _deferred: list[PendingReply] = field(default_factory=list, repr=False)

    @property
    def saved(self) -> bool:
        """False when the reply's final state waits in the outbox (the database was away)."""
        return not self._deferred


@dataclass(frozen=True)
class ToolStep:
    """Tools the model asked for in one reply, already run and saved as tool messages."""

    results: tuple[ToolResult, ...]


class ChatService:
    def __init__(
        self, sessions: SessionFactory, backend: InferenceBackend, *, owner: str = "", context_budget_tokens: int = 8000
    ):
        self._sessions = sessions
        self._backend = backend
        self._owner = owner
        self._budget = context_budget_tokens

    def _begin(self) -> AbstractContextManager[Session]:
        """One short transaction; an unreachable or locked database raises DatabaseUnavailable."""
        return unit_of_work(self._sessions)

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers."""
        with self._begin() as session:
            repository.ping(session)

    # conversations

    def get_conversation(self, conversation_id: str | None) -> ConversationRecord | None:
        if not conversation_id:
            return None
        with self._begin() as session:
            return repository.get_conversation(session, conversation_id, owner=self._owner)

    def list_conversations(self, *, limit: int, offset: int, search: str | None, unfiled: bool = False) -> ConversationPage:
        """A page of the list; `unfiled` leaves out the conversations in a folder (not with a search,
        which covers every conversation)."""
        with self._begin() as session:
            return repository.list_conversations(
                session, owner=self._owner, limit=limit, offset=offset, search=search or None, unfiled=unfiled and not search
            )

    def rename(self, conversation_id: str, title: str) -> bool:
        with self._begin() as session:
            return repository.rename_conversation(session, conversation_id, title, owner=self._owner) is not None

    def set_pinned(self, conversation_id: str, pinned: bool) -> bool:
        with self._begin() as session:
            return repository.set_pinned(session, conversation_id, pinned, owner=self._owner) is not None

    def delete(self, conversation_id: str) -> bool:
        with self._begin() as session:
            return repository.delete_conversation(session, conversation_id, owner=self._owner)

    # folders (the tree and a new chat's settings: portal/folders.py)

    def list_folders(self, *, counts: bool = False) -> list[FolderRecord]:
        """Every folder of the owner, in one query (with `counts`, how many conversations each holds)."""
        with self._begin() as session:
            return repository.list_folders(session, owner=self._owner, counts=counts)

    def get_folder(self, folder_id: str | None) -> FolderRecord | None:
        if not folder_id:
            return None
        with self._begin() as session:
            return repository.get_folder(session, folder_id, owner=self._owner)

    def folder_conversations(self, folder_ids: list[str], limit: int) -> dict[str, ConversationPage]:
        """The first `limit` conversations of each folder, in one query."""
        if not folder_ids:
            return {}
        with self._begin() as session:
            return repository.list_folder_conversations(session, folder_ids, owner=self._owner, limit=limit)

    def create_folder(self, name: str, parent_id: str | None = None) -> FolderRecord:
        """Raises ValueError for a blank name, FolderNameTaken, FolderNotFound (the parent)."""
        with self._begin() as session:
            return repository.create_folder(session, owner=self._owner, name=name, parent_id=parent_id)

    def rename_folder(self, folder_id: str, name: str) -> FolderRecord:
        with self._begin() as session:
            return repository.rename_folder(session, folder_id, name, owner=self._owner)

    def move_folder(self, folder_id: str, parent_id: str | None) -> FolderRecord:
        """Raises FolderCycle (into itself or a subfolder), FolderNameTaken, FolderNotFound."""
        with self._begin() as session:
            return repository.move_folder(session, folder_id, parent_id, owner=self._owner)

    def set_folder_defaults(self, folder_id: str, system_prompt: str | None, model: str | None) -> FolderRecord:
        with self._begin() as session:
            return repository.set_folder_defaults(session, folder_id, system_prompt=system_prompt, model=model, owner=self._owner)

    def delete_folder(self, folder_id: str) -> int:
        """Delete the folder; its conversations and subfolders move up a level. Returns how many
        conversations moved."""
        with self._begin() as session:
            return repository.delete_folder(session, folder_id, owner=self._owner)

    def move_to_folder(self, conversation_id: str, folder_id: str | None) -> bool:
        """File the conversation in the folder (None: in no folder); False if the conversation is gone."""
        with self._begin() as session:
            return repository.set_conversation_folder(session, conversation_id, folder_id, owner=self._owner) is not None

    def save_settings(self, conversation_id: str, settings: ChatSettings) -> None:
        with self._begin() as session:
            repository.update_conversation_settings(session, conversation_id, settings.to_dict(), owner=self._owner)

    def recover_interrupted(self, conversation_id: str, stale_after_seconds: float = INTERRUPTED_AFTER_SECONDS) -> None:
        """Replies left `streaming` by a crashed or killed app become `incomplete`.

        A reply flushed within `stale_after_seconds` is still streaming somewhere (another tab or
        instance) and is left alone.
        """
        with self._begin() as session:
            repository.mark_streaming_as_interrupted(
                session, conversation_id, owner=self._owner, stale_after_seconds=stale_after_seconds
            )

    # messages

    def recent_messages(self, conversation_id: str, limit: int) -> tuple[list[MessageRecord], int]:
        """The latest `limit` messages of the branch the conversation shows (chronological), and how
        many messages that branch has."""
        with self._begin() as session:
            return repository.branch_messages(session, conversation_id, owner=self._owner, limit=limit)

    def siblings(self, conversation_id: str, messages: list[MessageRecord]) -> dict[int, Siblings]:
        """The alternatives of the shown messages: other edits of a user message, other replies to it."""
        with self._begin() as session:
            return repository.siblings(session, conversation_id, messages, owner=self._owner)

    def reveal(self, conversation_id: str, message_id: int) -> int | None:
        """Show a branch that holds `message_id` (e.g. a message opened from the embeddings page) and
        return how many of the branch's latest messages reach it; None if it is not in the conversation."""
        with self._begin() as session:
            return repository.reveal_message(session, conversation_id, message_id, owner=self._owner)

    def show_branch(self, conversation_id: str, message_id: int) -> bool:
        """Show the branch through `message_id` (one of a message's alternatives); False if unknown."""
        try:
            with self._begin() as session:
                repository.show_branch(session, conversation_id, message_id, owner=self._owner)
        except repository.MessageNotFound:
            return False
        return True

    # compare mode (portal/compare.py)

    def replies_to(self, conversation_id: str, message_id: int) -> list[list[MessageRecord]]:
        """Every reply to message `message_id`, oldest first, each with what follows it on its branch."""
        with self._begin() as session:
            return repository.replies_to(session, conversation_id, message_id, owner=self._owner)

    def set_message_part(self, conversation_id: str, message_id: int, key: str, value: Any) -> bool:
        """Set one entry of a message's `parts` (compare mode keeps its round there); False if unknown."""
        with self._begin() as session:
            message = repository.get_message(session, message_id, owner=self._owner)
            if message is None or message.conversation_id != conversation_id:
                return False
            parts = dict(message.parts) if isinstance(message.parts, dict) else {}
            parts[key] = value
            repository.update_message(session, message_id, owner=self._owner, parts=parts)
        return True

    def all_messages(self, conversation_id: str, limit: int = MAX_IMPORT_MESSAGES) -> list[MessageRecord]:
        """The conversation's latest `limit` messages on every branch, oldest first."""
        with self._begin() as session:
            return repository.list_messages(session, conversation_id, owner=self._owner, limit=limit)

    def add_user_message(
        self,
        conversation_id: str | None,
        text: str,
        settings: ChatSettings,
        attachments: list[dict[str, Any]] | None = None,
        folder_id: str | None = None,
    ) -> MessageRecord:
        """Commit the user's message (creating the conversation if needed, in `folder_id` when given and
        still there) before anything is sent."""
        text = clean_user_text(text or "", allow_empty=bool(attachments))
        parts = {"attachments": attachments} if attachments else None
        with self._begin() as session:
            if conversation_id:
                # add_message checks that the conversation exists and is ours in the same statement
                # that locks it, so the usual case is one UPDATE and one INSERT (benchmark 4).
                try:
                    return repository.add_message(
                        session, conversation_id, role="user", content=text, parts=parts, owner=self._owner
                    )
                except repository.ConversationNotFound:
                    pass  # unknown or someone else's: the message starts a new conversation
            title = (
                title_from(text) if text.strip() else title_from(" ".join(a.get("name", "attachment") for a in attachments or []))
            )
            conversation = self._create_conversation(session, title, settings, folder_id)
            return repository.add_message(session, conversation.id, role="user", content=text, parts=parts, owner=self._owner)

    def _create_conversation(self, session: Session, title: str, settings: ChatSettings, folder_id: str | None) -> ConversationRecord:
        # A folder deleted meanwhile (another tab) is no reason to lose the message: then it goes in no folder.
        folder = repository.get_folder(session, folder_id, owner=self._owner) if folder_id else None
        return repository.create_conversation(
            session, owner=self._owner, title=title, settings=settings.to_dict(), folder_id=folder.id if folder else None
        )

    def _history_newest_first(self, conversation_id: str, end: int | None = None) -> Iterator[ChatMessage]:
        """The shown branch (or the branch ending at message `end`), newest first, read a page at a time
        (the context budget stops early)."""
        above = None
        while True:
            with self._begin() as session:
                page, _ = repository.branch_messages(
                    session, conversation_id, owner=self._owner, limit=HISTORY_PAGE, above=above, end=end if above is None else None
                )
            for record in reversed(page):
                if sendable(record):
                    yield to_chat_message(record)
            if not page or page[0].parent_id is None:
                return
            above = page[0].id

    def prepare_reply(
        self,
        conversation_id: str,
        settings: ChatSettings,
        *,
        on_wait: Callable[[float, int, InferenceError], None] | None = None,
        max_retries: int = 3,
        flush_interval: float = 1.0,
        allow_tools: bool = True,
        on_unsaved: Callable[[PendingReply], None] | None = None,
        on_reasoning: Callable[[str], None] | None = None,
        after: int | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> PreparedReply:
        """Create the assistant row and return the stream that fills it.

        The row is created here, so an unreachable database raises DatabaseUnavailable before any
        request. Later, while streaming, flush failures are skipped; a finalisation that fails goes
        to `on_unsaved` (without it, DatabaseUnavailable is raised from the stream).

        `after`: the message the reply answers (its branch is the history sent), instead of the end of
        the shown branch; compare mode writes several replies below one user message at once.
        `extra_params` are stored with the reply's parameters (never a secret).
        """
        history = self._history_newest_first(conversation_id, end=after)
        context = fit_to_budget(settings.system_message(), history, self._budget)
        options = settings.options(allow_tools=allow_tools)
        params = options.as_params()
        if extra_params:
            params.update(extra_params)
        if context.truncated:
            params["context_messages_sent"] = context.history_kept  # shown with the reply: older turns were left out
        with self._begin() as session:
            assistant = repository.add_message(
                session,
                conversation_id,
                role="assistant",
                status=MessageStatus.STREAMING,
                model=options.model,
                params=params,
                owner=self._owner,
                parent_id=repository.CURRENT_LEAF if after is None else after,
            )
        message_id = assistant.id
        deferred: list[PendingReply] = []
        next_flush_at = [0.0]

        def flush(text: str) -> None:
            if time.monotonic() < next_flush_at[0]:
                return
            try:
                with self._begin() as session:
                    repository.update_message(session, message_id, owner=self._owner, content=text)
            except DatabaseUnavailable as exc:  # keep streaming: the final write (or the outbox) keeps the text
                logger.warning("chat: partial reply %s not flushed, database unavailable: %s", message_id, exc.detail)
                next_flush_at[0] = time.monotonic() + FLUSH_RETRY_SECONDS

        def finish(outcome: ReplyOutcome) -> None:
            fields: dict[str, Any] = {
                "content": outcome.content,
                "status": outcome.status,
                "finish_reason": outcome.finish_reason,
                "time_to_first_token_ms": outcome.time_to_first_token_ms,
                "total_time_ms": outcome.total_time_ms,
                "error": _error_text(outcome),
            }
            if outcome.model:
                fields["model"] = outcome.model
            if outcome.usage:
                fields["prompt_tokens"] = outcome.usage.prompt_tokens
                fields["completion_tokens"] = outcome.usage.completion_tokens
            parts = reply_parts(outcome)
            if parts:
                fields["parts"] = parts
            try:
                with self._begin() as session:
                    repository.update_message(session, message_id, owner=self._owner, **fields)
            except DatabaseUnavailable as exc:
                if on_unsaved is None:
                    raise
                logger.warning("chat: reply %s kept in the outbox, database unavailable: %s", message_id, exc.detail)
                pending = PendingReply(conversation_id, message_id, fields)
                deferred.append(pending)
                on_unsaved(pending)

        stream = ReplyStream(
            lambda: self._backend.stream_chat(context.messages, options),
            on_finish=finish,
            on_flush=flush,
            on_wait=on_wait,
            on_reasoning=on_reasoning,
            max_retries=max_retries,
            flush_interval=flush_interval,
        )
        return PreparedReply(stream=stream, context=context, assistant_message_id=message_id, _deferred=deferred)

    def save_reply(self, pending: PendingReply) -> bool:
        """Write a reply's final state kept in the outbox; False when its row is gone (deleted meanwhile)."""
        with self._begin() as session:
            try:
                repository.update_message(session, pending.message_id, owner=self._owner, **pending.fields)
            except repository.MessageNotFound:
                return False
        return True

    def flush_outbox(self, outbox: Outbox, settings: ChatSettings) -> str | None:
        """Write everything the outbox holds, oldest first; return the conversation of the last stored
        message (None when no message was stored).

        Finished replies go first (before anything marks their rows as interrupted). Each write leaves
        the outbox at once, and a stored message makes its conversation's reply due. Raises
        DatabaseUnavailable when the database is still away; what was not written stays queued.
        """
        while (reply := outbox.next_reply()) is not None:
            self.save_reply(reply)
            outbox.reply_written()
        stored_in = None
        while (pending := outbox.next_message()) is not None:
            record = self.add_user_message(
                pending.conversation_id, pending.text, settings, pending.attachments or None, folder_id=pending.folder_id
            )
            outbox.message_stored(record.conversation_id)
            stored_in = record.conversation_id
        return stored_in

    def turn(
        self,
        conversation_id: str,
        settings: ChatSettings,
        *,
        on_wait: Callable[[float, int, InferenceError], None] | None = None,
        max_retries: int = 3,
        on_unsaved: Callable[[PendingReply], None] | None = None,
        on_reasoning: Callable[[str], None] | None = None,
        after: int | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> Iterator[PreparedReply | ToolStep]:
        """One assistant turn: replies to stream, and the tool runs in between (the tool loop).

        The caller consumes (or closes) each PreparedReply's stream before asking for the next step.
        Tool calls of one reply are assembled by their `index`, run, and saved as tool messages; after
        MAX_TOOL_STEPS replies with tool calls, the next request is sent without tools. A reply whose
        final state waits in the outbox ends the turn (its tool calls are not run).

        `after` (compare mode): the turn answers that message, and each of its rows goes after the
        previous one, whatever else is written in the conversation meanwhile.
        """
        tip = after
        for step in range(MAX_TOOL_STEPS + 1):
            prepared = self.prepare_reply(
                conversation_id,
                settings,
                on_wait=on_wait,
                max_retries=max_retries,
                allow_tools=step < MAX_TOOL_STEPS,
                on_unsaved=on_unsaved,
                on_reasoning=on_reasoning,
                after=tip,
                extra_params=extra_params,
            )
            yield prepared
            outcome = prepared.stream.outcome
            if outcome is None or not prepared.saved or outcome.status != COMPLETE or not outcome.tool_calls:
                return
            tip = None if after is None else prepared.assistant_message_id
            results, last_id = self._run_tools(conversation_id, outcome.tool_calls, after=tip)
            tip = None if after is None else last_id
            yield ToolStep(results)

    def run_tools(self, conversation_id: str, calls: tuple[ToolCall, ...]) -> tuple[ToolResult, ...]:
        return self._run_tools(conversation_id, calls)[0]

    def _run_tools(
        self, conversation_id: str, calls: tuple[ToolCall, ...], after: int | None = None
    ) -> tuple[tuple[ToolResult, ...], int | None]:
        """Run the calls and save each result as a tool message (after `after` and then each other when
        given, else at the end of the shown branch); return the results and the last saved message's id."""
        context = ToolContext(search_conversations=self._search_for_tool, conversation_id=conversation_id)
        results = []
        tip = after
        for call in calls:
            result = run_tool_call(call.name, call.arguments, context)
            results.append(result)
            parts = {
                "tool_call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "ok": result.ok,
                "duration_ms": result.duration_ms,
            }
            with self._begin() as session:
                saved = repository.add_message(
                    session, conversation_id, role="tool", content=result.content, parts=parts, owner=self._owner,
                    parent_id=repository.CURRENT_LEAF if tip is None else tip,
                )
            if after is not None:
                tip = saved.id
        return tuple(results), tip if after is not None else None

    def _search_for_tool(self, query: str, limit: int) -> list[dict[str, Any]]:
        page = self.list_conversations(limit=limit, offset=0, search=query)
        return [{"title": c.title, "id": c.id, "updated_at": c.updated_at.isoformat(timespec="seconds")} for c in page.items]

    def regenerate(self, conversation_id: str, reply_id: int) -> bool:
        """Make room for another reply beside `reply_id` (a reply of an assistant turn): the shown branch
        ends at the user message the turn answers, and the next reply goes after it, as a sibling of the
        turn's first reply. The old turn stays, one click away. False when `reply_id` is not a reply here."""
        with self._begin() as session:
            message = repository.get_message(session, reply_id, owner=self._owner)
            if message is None or message.conversation_id != conversation_id or message.role != "assistant":
                return False
            for _ in range(HISTORY_PAGE):  # up to the turn's user message (a turn has a few tool rounds)
                if message is None or message.parent_id is None:
                    return False
                parent = repository.get_message(session, message.parent_id, owner=self._owner)
                if parent is None:
                    return False
                if parent.role == "user":
                    repository.end_branch_at(session, conversation_id, parent.id, owner=self._owner)
                    return True
                message = parent
        return False

    def edit_message(self, conversation_id: str, message_id: int, text: str) -> MessageRecord | None:
        """Edit a user message by forking: the edited text becomes a sibling of the original (which is
        kept, with its replies, on its own branch) and the end of the shown branch, ready for a reply.
        None when `message_id` is not a user message of this conversation."""
        text = clean_user_text(text)
        with self._begin() as session:
            original = repository.get_message(session, message_id, owner=self._owner)
            if original is None or original.conversation_id != conversation_id or original.role != "user":
                return None
            parts = original.parts if isinstance(original.parts, dict) and original.parts.get("attachments") else None
            return repository.add_message(
                session, conversation_id, role="user", content=text, parts=parts, owner=self._owner, parent_id=original.parent_id
            )

    # export / import

    def export_json(self, conversation_id: str) -> str:
        with self._begin() as session:
            data = repository.export_conversation(session, conversation_id, owner=self._owner)
        return json.dumps(data, ensure_ascii=False, indent=2)

    def export_markdown(self, conversation_id: str) -> str:
        with self._begin() as session:
            data = repository.export_conversation(session, conversation_id, owner=self._owner)
        return conversation_markdown(data)

    def import_json(self, raw: bytes | str) -> ConversationRecord:
        if len(raw) > MAX_IMPORT_BYTES:
            raise repository.InvalidImport(
                f"The file is {len(raw) / 1e6:,.1f} MB; the limit is {MAX_IMPORT_BYTES / 1e6:,.0f} MB."
            )
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise repository.InvalidImport(f"The file is not valid JSON: {exc}") from None
        except RecursionError:
            raise repository.InvalidImport("The file is not a conversation export: its JSON is nested too deeply.") from None
        if not isinstance(data, dict):
            raise repository.InvalidImport("The file must contain a conversation export (a JSON object).")
        messages = data.get("messages")
        if isinstance(messages, list) and len(messages) > MAX_IMPORT_MESSAGES:
            raise repository.InvalidImport(
                f"The file has {len(messages):,} messages; at most {MAX_IMPORT_MESSAGES:,} can be imported. Nothing was imported."
            )
        with self._begin() as session:
            return repository.import_conversation(session, data, owner=self._owner)


def conversation_markdown(data: dict[str, Any]) -> str:
    conversation = data.get("conversation", {})
    lines = [f"# {conversation.get('title', 'Conversation')}", ""]
    for message in data.get("messages", []):
        role = str(message.get("role", "")).capitalize()
        status = message.get("status")
        marker = f" ({status})" if status and status != MessageStatus.COMPLETE else ""
        lines.append(f"## {role}{marker}")
        lines.append("")
        lines.append(message.get("content") or "")
        if message.get("error"):
            lines.append("")
            lines.append(f"> Error: {message['error']}")
        lines.append("")
    return "\n".join(lines)
