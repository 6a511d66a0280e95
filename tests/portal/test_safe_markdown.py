"""Untrusted model output: links other than http(s)/mailto never stay clickable."""

from __future__ import annotations

import pytest

from portal.safe_markdown import neutralize_links, safe_stream


@pytest.mark.parametrize(
    "text",
    [
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](javascript:alert(1))",
        "[click]( JavaScript:alert(1))",
        "[click](<data:text/html,hi>)",
        "![img](data:image/svg+xml,<svg onload=alert(1)>)",
        "[ref]\n\n[ref]: data:text/html,hi",
        "<data:text/html,hi>",
        "[x](vbscript:msgbox)",
        "[x](file:///etc/passwd)",
    ],
)
def test_unsafe_link_targets_are_neutralised(text):
    cleaned = neutralize_links(text)
    lowered = cleaned.lower()
    assert "](data:" not in lowered and "](javascript:" not in lowered.replace(" ", "")
    assert "<data:" not in lowered or "`<data:" in lowered
    assert ": data:" not in lowered


@pytest.mark.parametrize(
    "text",
    ["[docs](https://learn.microsoft.com)", "[mail](mailto:a@b.c)", "<https://example.com>", "plain text, no links", "a](b"],
)
def test_safe_links_and_plain_text_are_unchanged(text):
    assert neutralize_links(text) == text


def test_a_link_split_across_chunks_is_held_back_until_complete():
    chunks = ["See [this", "](da", "ta:text/html,", "x) and ", "[ok](https://", "example.com) done"]
    shown = list(safe_stream(chunks))
    joined = "".join(shown)
    assert "](data:" not in joined
    assert "[ok](https://example.com)" in joined
    assert joined.endswith(" done")
    # Nothing of the unsafe target was ever released before it was complete.
    assert not any("](da" in piece for piece in shown)


def test_streamed_text_without_links_passes_through_unchanged():
    chunks = ["Hello", " world", ", 2 < 3", " and 5 > 4."]
    assert "".join(safe_stream(chunks)) == "".join(chunks)
