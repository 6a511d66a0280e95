"""One assistant turn reads as one message: grouping, copy text and the summed stats line."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.turns import group_turns
from storage.records import MessageRecord

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def message(id: int, role: str, content: str = "", **fields) -> MessageRecord:
    defaults = dict(id=id, conversation_id="c", role=role, content=content, status="complete", created_at=NOW, updated_at=NOW)
    defaults.update(fields)
    return MessageRecord(**defaults)


def tool_turn() -> list[MessageRecord]:
    return [
        message(1, "user", "What is 12*7?"),
        message(
            2, "assistant", "", parts={"tool_calls": [{"name": "calculator"}], "reasoning_tokens": 5}, model="local-chat",
            prompt_tokens=20, completion_tokens=8, time_to_first_token_ms=100, total_time_ms=300, finish_reason="tool_calls",
        ),
        message(3, "tool", '{"result": 84}', parts={"name": "calculator", "duration_ms": 2.0}),
        message(
            4, "assistant", "It is **84**.", model="local-chat", prompt_tokens=40, completion_tokens=12,
            time_to_first_token_ms=80, total_time_ms=480, finish_reason="stop",
        ),
        message(5, "user", "thanks"),
    ]


def test_a_tool_turn_is_one_turn_between_the_user_messages() -> None:
    turns = group_turns(tool_turn())

    assert [(t.role, [m.id for m in t.messages]) for t in turns] == [("user", [1]), ("assistant", [2, 3, 4]), ("user", [5])]
    assert [m.id for m in turns[1].replies] == [2, 4]
    assert [m.id for m in turns[1].tool_results] == [3]


def test_the_stats_line_sums_the_model_calls_of_the_turn() -> None:
    stats = group_turns(tool_turn())[1].stats()

    assert (stats.prompt_tokens, stats.completion_tokens, stats.reasoning_tokens) == (60, 20, 5)
    assert stats.time_to_first_token_ms == 100  # the turn's first token
    assert stats.total_time_ms == 782  # both calls and the tool run
    assert stats.generating_ms == 600  # (300 - 100) + (480 - 80)
    assert stats.tokens_per_second == 20 / 0.6
    assert (stats.model_calls, stats.tool_calls, stats.finish_reason) == (2, 1, "stop")
    line = stats.line()
    assert line.startswith("`local-chat` · 60 prompt + 20 completion tokens (5 reasoning) · first token 100 ms · total 0.78 s")
    assert "33.3 tokens/s" in line and "2 model calls" in line and line.endswith("finish: stop")


def test_copy_takes_the_answer_text_and_the_user_text_as_typed() -> None:
    turns = group_turns(tool_turn())

    assert turns[0].copy_text() == "What is 12*7?"
    assert turns[1].copy_text() == "It is **84**."  # the Markdown source, without the tool call


def test_a_reply_without_metrics_has_an_empty_line_and_system_messages_stand_alone() -> None:
    turns = group_turns([message(1, "system", "Be brief."), message(2, "assistant", "hi"), message(3, "tool", "{}")])

    assert [(t.role, len(t.messages)) for t in turns] == [("system", 1), ("assistant", 2)]
    assert turns[1].stats().line() == ""
    assert group_turns([]) == []


def test_two_answers_in_a_row_stay_two_turns() -> None:
    # Two people writing in one conversation at once (two instances): both messages land before
    # either reply, and each reply is still its own message.
    stored = [message(1, "user", "a"), message(2, "user", "b"), message(3, "assistant", "to a"), message(4, "assistant", "to b")]

    assert [(t.role, [m.id for m in t.messages]) for t in group_turns(stored)] == [
        ("user", [1]), ("user", [2]), ("assistant", [3]), ("assistant", [4]),
    ]
    # An answer after a tool turn's answer is a new turn too.
    follow_up = [*tool_turn()[:4], message(6, "assistant", "and again")]
    assert [[m.id for m in t.messages] for t in group_turns(follow_up)] == [[1], [2, 3, 4], [6]]
