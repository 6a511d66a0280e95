"""Fitting history into the context budget: estimates, oldest-first dropping, the system prompt, tool groups."""

from __future__ import annotations

from collections.abc import Iterator

from portal.context_budget import IMAGE_TOKENS, PER_MESSAGE_OVERHEAD, estimate_tokens, fit_to_budget
from portal.inference import ChatMessage, ToolCall

SYSTEM = ChatMessage("system", "You are a helpful assistant.")


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def newest_first(history: list[ChatMessage]) -> list[ChatMessage]:
    return list(reversed(history))


def test_estimate_is_a_quarter_of_the_characters_but_never_fewer_than_the_words() -> None:
    assert estimate_tokens(ChatMessage("user", "x" * 40)) == 10 + PER_MESSAGE_OVERHEAD
    assert estimate_tokens(ChatMessage("user", "a b c d e f")) == 6 + PER_MESSAGE_OVERHEAD
    assert estimate_tokens(ChatMessage("user", "")) == PER_MESSAGE_OVERHEAD


def test_estimate_counts_images_and_tool_call_arguments() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    assert estimate_tokens(ChatMessage("user", "look", parts=(image, image))) == 1 + PER_MESSAGE_OVERHEAD + 2 * IMAGE_TOKENS
    call = ToolCall(id="c1", name="add", arguments='{"a": 1, "b": 2}' * 4)
    assert estimate_tokens(ChatMessage("assistant", "", tool_calls=(call,))) == len(call.arguments) // 4 + PER_MESSAGE_OVERHEAD


def test_everything_fits_in_order_with_the_system_prompt_first() -> None:
    history = [ChatMessage("user", "hi"), ChatMessage("assistant", "hello"), ChatMessage("user", "how are you")]
    fitted = fit_to_budget(SYSTEM, newest_first(history), 8000)
    assert fitted.messages == [SYSTEM, *history]
    assert fitted.history_kept == 3
    assert fitted.truncated is False
    assert fitted.estimated_tokens == sum(estimate_tokens(m) for m in [SYSTEM, *history])


def test_oldest_turns_are_dropped_first_and_the_system_prompt_is_kept() -> None:
    history = [
        ChatMessage("user" if i % 2 == 0 else "assistant", words(20, word)) for i, word in enumerate(["one1", "two2", "thr3", "fou4", "fiv5"])
    ]
    per_message = estimate_tokens(history[0])
    assert all(estimate_tokens(m) == per_message for m in history)
    budget = estimate_tokens(SYSTEM) + 3 * per_message + 1  # room for three messages, not four
    fitted = fit_to_budget(SYSTEM, newest_first(history), budget)
    assert fitted.truncated is True
    assert fitted.messages[0] == SYSTEM
    assert fitted.messages[1:] == history[-fitted.history_kept :]
    assert fitted.history_kept == 3
    assert fitted.estimated_tokens <= budget


def test_newest_message_is_kept_even_when_it_alone_is_over_budget() -> None:
    history = [ChatMessage("user", "earlier"), ChatMessage("user", words(500))]
    fitted = fit_to_budget(SYSTEM, newest_first(history), 10)
    assert fitted.messages == [SYSTEM, history[-1]]
    assert fitted.truncated is True
    assert fitted.estimated_tokens > 10


def test_without_a_system_prompt_only_history_is_sent() -> None:
    history = [ChatMessage("user", "one"), ChatMessage("user", "two")]
    fitted = fit_to_budget(None, newest_first(history), 8000)
    assert fitted.messages == history
    assert fitted.history_kept == 2


def test_history_is_read_lazily_and_only_until_the_budget_is_spent() -> None:
    read: list[int] = []

    def history() -> Iterator[ChatMessage]:
        for index in range(1000):
            read.append(index)
            yield ChatMessage("user", words(50))

    per_message = estimate_tokens(ChatMessage("user", words(50)))
    fitted = fit_to_budget(SYSTEM, history(), estimate_tokens(SYSTEM) + 3 * per_message)
    assert fitted.truncated is True
    assert fitted.history_kept == 3
    assert len(read) == 4  # the three kept and the one that did not fit; the other 996 never loaded


def test_tool_results_are_never_sent_without_the_call_that_produced_them() -> None:
    call_a = ToolCall(id="a", name="lookup", arguments='{"q": "x"}')
    call_b = ToolCall(id="b", name="lookup", arguments='{"q": "y"}')
    history = [
        ChatMessage("user", "question " + words(30)),
        ChatMessage("assistant", "", tool_calls=(call_a, call_b)),
        ChatMessage("tool", words(30, "result"), tool_call_id="a"),
        ChatMessage("tool", words(30, "result"), tool_call_id="b"),
        ChatMessage("assistant", "answer " + words(10)),
        ChatMessage("user", "follow up " + words(10)),
    ]
    answer_and_follow_up = estimate_tokens(history[4]) + estimate_tokens(history[5])
    one_tool = estimate_tokens(history[3])
    # The budget cuts between the two tool results: both go, as does the call.
    budget = estimate_tokens(SYSTEM) + answer_and_follow_up + one_tool + 1
    fitted = fit_to_budget(SYSTEM, newest_first(history), budget)
    assert fitted.truncated is True
    assert fitted.messages == [SYSTEM, history[4], history[5]]
    assert fitted.estimated_tokens == estimate_tokens(SYSTEM) + answer_and_follow_up

    # With room for the whole group the call and both results are sent together.
    roomy = fit_to_budget(SYSTEM, newest_first(history), sum(estimate_tokens(m) for m in [SYSTEM, *history[1:]]))
    assert roomy.messages == [SYSTEM, *history[1:]]
    assert roomy.truncated is True


def test_the_newest_tool_results_are_sent_with_their_call_even_over_budget() -> None:
    call = ToolCall(id="a", name="lookup", arguments='{"q": "x"}')
    history = [
        ChatMessage("user", "old " + words(40)),
        ChatMessage("user", "question " + words(5)),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", words(60, "result"), tool_call_id="a"),
    ]
    budget = estimate_tokens(SYSTEM) + estimate_tokens(history[3])  # room for the result alone
    fitted = fit_to_budget(SYSTEM, newest_first(history), budget)
    assert fitted.messages[-2:] == [history[2], history[3]]
    assert fitted.truncated is True
