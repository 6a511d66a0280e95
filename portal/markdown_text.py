"""Plain text inside Markdown: a title, a model name or a search term shown as typed, not as formatting.

Streamlit renders labels, captions and headings as Markdown (and `:material/x:` as icons), so a
conversation titled `*draft*` would show in italics. `escape_markdown` backslash-escapes the characters
that change inline rendering, and a leading `#`, `-`, `+` or `1.` that would start a block."""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_\[\]<>~$|:{}])")
_BLOCK_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])")


def escape_markdown(text: str) -> str:
    escaped = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if m.group(2)[0] in "#>+-" else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)
