"""One way of counting tokens, used for prompts, replies, embeddings and limits alike.

The local models have no real tokenizer. A "token" here is a whitespace-separated word, and every
streamed content chunk carries exactly one of them, so `usage.completion_tokens` always equals the
number of content chunks a client received and `max_tokens` cuts the reply at that many chunks.
"""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"\S+")

# What a non-text part costs, so that usage grows with attachments the way it does on Azure.
IMAGE_PART_TOKENS = 85
AUDIO_PART_TOKENS = 50


def split_words(text: str) -> list[str]:
    return _WORD.findall(text)


def count_tokens(text: str) -> int:
    return len(_WORD.findall(text))


def count_content_tokens(content: Any) -> int:
    """Tokens of a message's `content`: a string, a list of parts, or None."""
    if content is None:
        return 0
    if isinstance(content, str):
        return count_tokens(content)
    total = 0
    for part in content:
        kind = part.get("type")
        if kind == "text":
            total += count_tokens(part.get("text", ""))
        elif kind == "image_url":
            total += IMAGE_PART_TOKENS
        elif kind == "input_audio":
            total += AUDIO_PART_TOKENS
    return total


def count_message_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        total += count_content_tokens(message.get("content"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            total += count_tokens(function.get("name", "")) + count_tokens(function.get("arguments", ""))
    return total
