"""Neutralising links in model output before it is rendered as markdown.

Streamlit never renders raw HTML from st.markdown and turns `javascript:` links into `#`, but a
`data:text/html,...` link stays clickable. Model output is untrusted, so any link whose scheme is
not http, https or mailto is rewritten to an inert `#unsafe-link` target, both in stored messages
and while a reply streams (a link split across chunks is held back until it is complete).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*:"
# Inline links and images: ](target  — also with whitespace or < after the bracket.
_INLINE = re.compile(r"(\]\(\s*<?\s*)(" + _SCHEME + r")", re.IGNORECASE)
# Reference definitions: [label]: target
_REFERENCE = re.compile(r"(^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?)(" + _SCHEME + r")", re.IGNORECASE | re.MULTILINE)
# Autolinks: <scheme:...>
_AUTOLINK = re.compile(r"<(" + _SCHEME + r")([^<>\s]*)>", re.IGNORECASE)


def _is_safe(scheme: str) -> bool:
    return scheme[:-1].lower() in SAFE_SCHEMES


def neutralize_links(text: str) -> str:
    def inline(match: re.Match) -> str:
        return match.group(0) if _is_safe(match.group(2)) else match.group(1) + "#unsafe-link "

    def autolink(match: re.Match) -> str:
        return match.group(0) if _is_safe(match.group(1)) else "`" + match.group(0).replace("`", "") + "`"

    text = _INLINE.sub(inline, text)
    text = _REFERENCE.sub(inline, text)
    return _AUTOLINK.sub(autolink, text)


def _release_point(pending: str) -> int:
    """How much of `pending` can be shown now: everything before an unfinished link target."""
    cut = len(pending)
    start = pending.rfind("](")
    if start != -1 and ")" not in pending[start + 2 :]:
        cut = min(cut, start)
    angle = pending.rfind("<")
    if angle != -1 and ">" not in pending[angle:] and len(pending) - angle < 2048:
        cut = min(cut, angle)
    line_start = pending.rfind("\n") + 1
    if pending[line_start:].lstrip().startswith("[") and "]:" not in pending[line_start:]:
        cut = min(cut, line_start)  # maybe a reference definition still arriving
    return cut


def safe_stream(chunks: Iterable[str]) -> Iterator[str]:
    """Yield the streamed text with unsafe links neutralised, holding back incomplete link targets."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        cut = _release_point(pending)
        if cut:
            ready, pending = pending[:cut], pending[cut:]
            yield neutralize_links(ready)
    if pending:
        yield neutralize_links(pending)
