"""Reading the chat page in AppTest the way a person reads it: who said what, the stats line, the
markers, the tool chips, the conversation list."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from streamlit.testing.v1 import AppTest


def walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def user_text(bubble: Any) -> str:
    """The user's text as the page shows it (the escaped, line-break-keeping paragraph)."""
    for element in bubble.html:
        found = re.search(r'<p class="portal-user-text">(.*?)</p>', element.value, re.S)
        if found:
            return html.unescape(found.group(1))
    return ""


def said(bubble: Any) -> str:
    """The screen-reader label of a message ("You said:", "The model said:")."""
    for element in bubble.html:
        found = re.search(r'<span class="portal-sr-only">(.*?)</span>', element.value, re.S)
        if found:
            return html.unescape(found.group(1))
    return ""


def text_of(bubble: Any) -> str:
    if bubble.name == "user":
        return user_text(bubble)
    return "\n".join(md.value for md in bubble.markdown)


def transcript(app: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every message on the page."""
    return [(m.name, text_of(m)) for m in app.chat_message]


def bubble(app: AppTest, index: int) -> Any:
    return app.chat_message[index]


def stats_line(bubble: Any) -> str:
    """The turn's one stats line (the caption naming the model's token counts)."""
    lines = [c.value for c in bubble.caption if "completion tokens" in c.value]
    assert len(lines) == 1, [c.value for c in bubble.caption]
    return lines[0]


def tool_chips(bubble: Any) -> list[tuple[str, str, list[str], list[str]]]:
    """(label, icon, code blocks, captions) of every tool chip in a message."""
    chips = []
    for node in walk(bubble):
        if getattr(node, "type", None) == "popover":
            codes = [n.value for n in walk(node) if getattr(n, "type", None) == "code"]
            captions = [n.value for n in walk(node) if getattr(n, "type", None) == "caption"]
            chips.append((node.proto.popover.label, node.proto.popover.icon, codes, captions))
    return chips


def button(app: AppTest, label: str):
    matches = [b for b in app.button if b.label == label]
    assert len(matches) == 1, f"expected one {label!r} button, found {[b.label for b in app.button]}"
    return matches[0]


def page_title(app: AppTest) -> str:
    return next(md.value[2:] for md in app.markdown if md.value.startswith("# ")).replace("\\", "")


def sidebar_conversations(app: AppTest) -> list[str]:
    return [b.label.replace("\\", "") for b in app.sidebar.button if (b.key or "").startswith("conv_title_")]


def sidebar_groups(app: AppTest) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h.value)) for h in app.sidebar.html if "portal-group" in h.value]
