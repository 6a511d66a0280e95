"""`<think>…</think>` at the start of a reply is reasoning, however the chunks cut the tags."""

from __future__ import annotations

import pytest

from portal.inference.reasoning import ThinkSplitter

REPLY = "<think>\nThe user asks for 6*7. That is 42.\n</think>\n\nThe answer is 42."


def split(chunks: list[str]) -> tuple[str, str, bool]:
    splitter = ThinkSplitter()
    reasoning, answer = [], []
    for chunk in chunks:
        thought, said = splitter.feed(chunk)
        reasoning.append(thought)
        answer.append(said)
    thought, said = splitter.flush()
    return "".join(reasoning) + thought, "".join(answer) + said, splitter.passthrough


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, len(REPLY)])
def test_any_chunking_gives_the_same_split(size: int) -> None:
    chunks = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    reasoning, answer, passthrough = split(chunks)
    assert reasoning == "The user asks for 6*7. That is 42."
    assert answer == "The answer is 42."
    assert passthrough


def test_a_reply_without_tags_passes_through_untouched() -> None:
    assert split(["Hello", " world"]) == ("", "Hello world", True)
    # Something that starts like the tag but is not it.
    assert split(["<th", "ink about it"]) == ("", "<think about it", True)
    assert split(["<b>bold</b>"]) == ("", "<b>bold</b>", True)


def test_tags_later_in_the_answer_are_answer_text() -> None:
    assert split(["Use <think> tags like </think> this"]) == ("", "Use <think> tags like </think> this", True)


def test_thinking_cut_off_by_the_end_of_the_stream_is_kept_as_reasoning() -> None:
    assert split(["<think>still thinking when the stream was st", "opped</th"]) == (
        "still thinking when the stream was stopped</th",
        "",
        False,
    )


def test_leading_whitespace_before_the_tag_is_allowed() -> None:
    assert split(["\n\n<think>hm</think>ok"]) == ("hm", "ok", True)


def test_an_empty_stream_gives_nothing() -> None:
    assert split([]) == ("", "", False)
    assert split(["   "]) == ("", "   ", False)
