"""Demo and test directives that steer `local-chat`, read from the last user message (and from the
system message, for what the user message does not set: chat_model._with_system_directives).

`/long N` (reply of N words), `/slow R` (R words per second, 0 = as fast as possible),
`/fault KIND` (KIND: 429, 500, 503, 401, filter, cut:N, nodone, hang:S, failed (Responses API: the
stream ends with `response.failed`; elsewhere a 500), optionally followed by xN
to fault only the first N identical requests) and `/verbatim` (restate the message as raw Markdown,
the way a model may answer, instead of escaped so that it shows as typed: the untrusted-output tests
use it). They are removed from the text the model restates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FAULT_KINDS = ("429", "500", "503", "401", "filter", "cut", "nodone", "hang", "failed")

_LONG = re.compile(r"(?<!\S)/long\s+(\d{1,7})\b")
_SLOW = re.compile(r"(?<!\S)/slow\s+(\d+(?:\.\d+)?)\b")
_VERBATIM = re.compile(r"(?<!\S)/verbatim(?!\S)")
_FAULT = re.compile(r"(?<!\S)/fault\s+(429|500|503|401|filter|nodone|failed|cut:\d+|hang(?::\d+(?:\.\d+)?)?)(?:x(\d+))?(?!\S)")


@dataclass(frozen=True)
class Fault:
    kind: str  # one of FAULT_KINDS
    argument: float | None = None  # chunks for cut, seconds for hang
    times: int | None = None  # fault only the first N identical requests; None = always


@dataclass(frozen=True)
class Directives:
    long_words: int | None = None
    words_per_second: float | None = None
    fault: Fault | None = None
    verbatim: bool = False


MAX_LONG_WORDS = 200_000


def parse_directives(text: str) -> tuple[Directives, str]:
    """Return the directives found in `text` and the text without them."""
    long_words = words_per_second = None
    fault = None
    if match := _LONG.search(text):
        long_words = min(int(match.group(1)), MAX_LONG_WORDS)
    if match := _SLOW.search(text):
        words_per_second = float(match.group(1))
    if match := _FAULT.search(text):
        spec, times = match.group(1), match.group(2)
        kind, _, argument = spec.partition(":")
        fault = Fault(kind=kind, argument=float(argument) if argument else None, times=int(times) if times else None)
    verbatim = bool(_VERBATIM.search(text))
    cleaned = _VERBATIM.sub("", _FAULT.sub("", _SLOW.sub("", _LONG.sub("", text))))
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return Directives(long_words, words_per_second, fault, verbatim), cleaned
