"""Reasoning that arrives inside the content: `<think>…</think>` at the start of a reply.

DeepSeek-R1 and other open reasoning models put their thinking in the content, wrapped in think tags,
where an endpoint does not split it into `reasoning_content`. The splitter routes that part to the
reasoning, holding back only what could still be a tag split across chunks, and then gets out of
the way: once the answer has begun, `passthrough` is True and the caller hands chunks on untouched.
"""

from __future__ import annotations

OPEN_TAG, CLOSE_TAG = "<think>", "</think>"


def _held_suffix(text: str, tag: str) -> int:
    """How many trailing characters of `text` could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    """Feed content chunks; get (reasoning, answer) pieces back. `flush()` at the end of the stream."""

    __slots__ = ("_buffer", "_state", "_thought", "passthrough")
    _UNDECIDED, _THINKING, _AFTER_THINKING = 0, 1, 2

    def __init__(self) -> None:
        self._buffer = ""
        self._state = self._UNDECIDED
        self._thought = False  # some reasoning has been handed out (leading newlines are layout, not thought)
        self.passthrough = False  # the answer has started: chunks are answer text as they are

    def feed(self, text: str) -> tuple[str, str]:
        if self.passthrough:
            return "", text
        self._buffer += text
        if self._state == self._UNDECIDED:
            stripped = self._buffer.lstrip()
            if not stripped or (OPEN_TAG.startswith(stripped) and stripped != OPEN_TAG):
                return "", ""  # nothing yet, or maybe the start of "<think>"
            if not stripped.startswith(OPEN_TAG):
                self.passthrough = True
                answer, self._buffer = self._buffer, ""
                return "", answer
            self._state = self._THINKING
            self._buffer = stripped[len(OPEN_TAG) :]
        if self._state == self._THINKING:
            if not self._thought:
                self._buffer = self._buffer.lstrip("\n")
            end = self._buffer.find(CLOSE_TAG)
            if end < 0:
                # Hold back what may be the start of the closing tag, and the newlines that may precede it.
                keep = len(self._buffer) - _held_suffix(self._buffer, CLOSE_TAG)
                while keep > 0 and self._buffer[keep - 1] == "\n":
                    keep -= 1
                reasoning, self._buffer = self._buffer[:keep], self._buffer[keep:]
                self._thought = self._thought or bool(reasoning)
                return reasoning, ""
            reasoning = self._buffer[:end].rstrip("\n")
            self._buffer = self._buffer[end + len(CLOSE_TAG) :]
            self._state = self._AFTER_THINKING
            return reasoning, self._after_thinking()
        return "", self._after_thinking()

    def _after_thinking(self) -> str:
        """The answer starts at its first non-blank character (the blank lines after the tag are layout)."""
        answer = self._buffer.lstrip()
        if not answer:
            self._buffer = ""
            return ""
        self._buffer = ""
        self.passthrough = True
        return answer

    def flush(self) -> tuple[str, str]:
        """What is still held when the stream ends: unfinished thinking is reasoning, anything else answer."""
        held, self._buffer = self._buffer, ""
        if self._state == self._THINKING:
            return held, ""
        if self._state == self._UNDECIDED:
            return "", held
        return "", ""
