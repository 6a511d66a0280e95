"""Fitting a conversation into the context budget: system prompt always kept, oldest turns dropped first.

Tokens are estimated (no tokenizer for arbitrary Azure models): about four characters a token, and
never fewer than the number of words. Images count a fixed amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .inference import ChatMessage

IMAGE_TOKENS = 85
PER_MESSAGE_OVERHEAD = 4


def estimate_tokens(message: ChatMessage) -> int:
    text = message.content + "".join(call.arguments for call in message.tool_calls)
    estimate = max(len(text) // 4, len(text.split()))
    return estimate + PER_MESSAGE_OVERHEAD + IMAGE_TOKENS * len(message.parts)


@dataclass(frozen=True)
class FittedContext:
    messages: list[ChatMessage]
    history_kept: int  # how many history messages (not counting the system prompt) are sent
    truncated: bool  # older history exists that did not fit
    estimated_tokens: int


def fit_to_budget(system: ChatMessage | None, newest_first: Iterable[ChatMessage], budget_tokens: int) -> FittedContext:
    """Take history newest-first until the budget is spent; the newest message is always kept.

    A tool result is never separated from the assistant message that called it: when the budget
    cuts inside such a group the whole group is dropped.
    """
    used = estimate_tokens(system) if system else 0
    kept: list[ChatMessage] = []
    truncated = False
    for message in newest_first:  # consumed lazily: stops reading history once the budget is spent
        cost = estimate_tokens(message)
        # The newest turn is always sent whole: a tool loop's latest results with the call that asked for them.
        in_newest_tool_group = bool(kept) and all(m.role == "tool" for m in kept)
        if kept and used + cost > budget_tokens and not in_newest_tool_group:
            truncated = True
            break
        kept.append(message)
        used += cost
    # An older group cut between its tool results and their call is dropped whole.
    while truncated and kept and kept[-1].role == "tool":
        used -= estimate_tokens(kept.pop())
    kept.reverse()
    return FittedContext(([system] if system else []) + kept, len(kept), truncated, used)
