"""Turns: how stored messages group into what a person reads as one message.

Why this module exists: one assistant turn can be several stored messages (a model call that asks for
tools, the tool results, the model call that answers). The page shows it as one message, with the tool
calls as chips and one stats line summed over its model calls; copy takes its answer text. A user
message is a turn of its own. No streamlit here: the page renders what this computes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.records import MessageRecord

USER, ASSISTANT, SYSTEM = "user", "assistant", "system"
_TURN_ROLES = {"user": USER, "assistant": ASSISTANT, "tool": ASSISTANT, "system": SYSTEM, "developer": SYSTEM}


def parts_of(message: MessageRecord) -> dict[str, Any]:
    return message.parts if isinstance(message.parts, dict) else {}


@dataclass(frozen=True)
class TurnStats:
    """One stats line for a turn: tokens summed over its model calls, time from its first call's
    first token to its last call's end (tool runs included)."""

    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    reasoning_tokens: int | None
    time_to_first_token_ms: float | None
    total_time_ms: float | None
    generating_ms: float | None
    finish_reason: str | None
    model_calls: int
    tool_calls: int

    @property
    def tokens_per_second(self) -> float | None:
        if not self.completion_tokens or not self.generating_ms or self.generating_ms <= 0:
            return None
        return self.completion_tokens / (self.generating_ms / 1000)

    def line(self) -> str:
        """`model` · 12 prompt + 40 completion tokens · first token 120 ms · total 1.20 s · …"""
        pieces = []
        if self.model:
            pieces.append(f"`{self.model}`")
        if self.prompt_tokens is not None or self.completion_tokens is not None:
            tokens = f"{self.prompt_tokens or 0} prompt + {self.completion_tokens or 0} completion tokens"
            if self.reasoning_tokens:
                tokens += f" ({self.reasoning_tokens} reasoning)"
            pieces.append(tokens)
        if self.time_to_first_token_ms is not None:
            pieces.append(f"first token {self.time_to_first_token_ms:,.0f} ms")
        if self.total_time_ms is not None:
            pieces.append(f"total {self.total_time_ms / 1000:,.2f} s")
        if (rate := self.tokens_per_second) is not None:
            pieces.append(f"{rate:,.1f} tokens/s")
        if self.model_calls > 1:
            pieces.append(f"{self.model_calls} model calls")
        if self.finish_reason:
            pieces.append(f"finish: {self.finish_reason}")
        return " · ".join(pieces)


@dataclass(frozen=True)
class Turn:
    """One message as a person reads it: a user message, or an assistant turn with its tool rounds."""

    role: str  # "user", "assistant" or "system"
    messages: tuple[MessageRecord, ...]

    @property
    def first(self) -> MessageRecord:
        return self.messages[0]

    @property
    def last(self) -> MessageRecord:
        return self.messages[-1]

    @property
    def replies(self) -> tuple[MessageRecord, ...]:
        """The model's messages of the turn (not the tool results)."""
        return tuple(m for m in self.messages if m.role == "assistant")

    @property
    def tool_results(self) -> tuple[MessageRecord, ...]:
        return tuple(m for m in self.messages if m.role == "tool")

    @property
    def status(self) -> str:
        """The turn ends how its last message ended (a stop in the second round stops the turn)."""
        return self.last.status

    def copy_text(self) -> str:
        """What "Copy" puts on the clipboard: the text as written (Markdown source), tools left out."""
        if self.role != ASSISTANT:
            return self.first.content
        return "\n\n".join(m.content for m in self.replies if m.content)

    def stats(self) -> TurnStats:
        replies = self.replies
        prompt = _sum(m.prompt_tokens for m in replies)
        completion = _sum(m.completion_tokens for m in replies)
        reasoning = _sum(parts_of(m).get("reasoning_tokens") for m in replies)
        first_token = next((m.time_to_first_token_ms for m in replies if m.time_to_first_token_ms is not None), None)
        model_time = _sum(m.total_time_ms for m in replies)
        tool_time = _sum(parts_of(m).get("duration_ms") for m in self.tool_results)
        total = None if model_time is None else model_time + (tool_time or 0)
        generating = _sum(
            m.total_time_ms - m.time_to_first_token_ms
            for m in replies
            if m.total_time_ms is not None and m.time_to_first_token_ms is not None
        )
        last_reply = replies[-1] if replies else None
        return TurnStats(
            model=next((m.model for m in reversed(replies) if m.model), None),
            prompt_tokens=prompt,
            completion_tokens=completion,
            reasoning_tokens=reasoning,
            time_to_first_token_ms=first_token,
            total_time_ms=total,
            generating_ms=generating,
            finish_reason=last_reply.finish_reason if last_reply is not None else None,
            model_calls=len(replies),
            tool_calls=len(self.tool_results),
        )


def _sum(values: Iterable[Any]) -> Any:
    present = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return sum(present) if present else None


def group_turns(messages: Iterable[MessageRecord]) -> list[Turn]:
    """A model call that asks for tools, its tool results and the calls that follow form one turn;
    every other message is a turn of its own. Two answers in a row stay two turns: two people
    writing in one conversation at once can store user, user, reply, reply."""
    turns: list[Turn] = []
    current: list[MessageRecord] = []
    for message in messages:
        role = _TURN_ROLES.get(message.role, ASSISTANT)
        if role == ASSISTANT and current and _TURN_ROLES.get(current[0].role) == ASSISTANT and _continues(current[-1], message):
            current.append(message)
            continue
        if current:
            turns.append(Turn(_TURN_ROLES.get(current[0].role, ASSISTANT), tuple(current)))
        current = [message]
    if current:
        turns.append(Turn(_TURN_ROLES.get(current[0].role, ASSISTANT), tuple(current)))
    return turns


def _continues(previous: MessageRecord, message: MessageRecord) -> bool:
    """Whether `message` belongs to the turn that `previous` ends: a tool result always does; a
    model call does after a tool result or after a call that asked for tools."""
    return message.role == "tool" or previous.role == "tool" or bool(parts_of(previous).get("tool_calls"))
