"""The tool registry and `run_tool_call`: every bad call becomes an `{"error": ...}` result, never an
exception; and the calculator, which parses arithmetic with `ast` and never evaluates Python."""

from __future__ import annotations

import builtins
import json
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from portal.tools import REGISTRY, ToolContext, run_tool_call, tool
from portal.tools.builtin import MAX_EXPRESSION_CHARS, evaluate_arithmetic
from portal.tools.registry import Tool, ToolRegistry

CONTEXT = ToolContext()


def error_of(result) -> str:
    assert result.ok is False, result
    payload = json.loads(result.content)
    assert list(payload) == ["error"], payload
    return payload["error"]


def calculate(expression: str):
    return run_tool_call("calculator", json.dumps({"expression": expression}), CONTEXT)


@pytest.fixture
def registry() -> ToolRegistry:
    """A private registry: what the tests register here never reaches the app's REGISTRY."""
    private = ToolRegistry()

    @tool("echo", "Echo the text back.", {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}, private)
    def echo(context: ToolContext, text: str) -> dict[str, Any]:
        return {"echo": text}

    @tool("explode", "Always fails.", {"type": "object", "properties": {}}, private)
    def explode(context: ToolContext) -> dict[str, Any]:
        raise RuntimeError("the backend of this tool is down")

    @tool("unsendable", "Returns what JSON cannot carry.", {"type": "object", "properties": {"kind": {"type": "string"}}}, private)
    def unsendable(context: ToolContext, kind: str = "nan") -> Any:
        if kind == "nan":
            return {"value": float("nan")}
        if kind == "huge":
            return {"value": 10**5000}
        loop: dict[str, Any] = {}
        loop["self"] = loop
        return loop

    return private


# -- the registry ------------------------------------------------------------------------------------------


def test_builtin_tools_are_registered_with_openai_style_definitions() -> None:
    assert {"calculator", "current_time", "search_conversations"} <= set(REGISTRY.names())
    definitions = REGISTRY.definitions(["calculator", "no_such_tool", "current_time"])
    assert [d["function"]["name"] for d in definitions] == ["calculator", "current_time"]  # unknown names are skipped
    for definition in definitions:
        assert definition["type"] == "function"
        assert definition["function"]["description"]
        jsonschema.Draft202012Validator.check_schema(definition["function"]["parameters"])


def test_a_private_registry_runs_its_own_tools_only(registry: ToolRegistry) -> None:
    result = run_tool_call("echo", '{"text": "hi"}', CONTEXT, registry)
    assert result.ok and json.loads(result.content) == {"echo": "hi"}
    assert (result.name, result.arguments) == ("echo", '{"text": "hi"}')
    assert result.duration_ms >= 0
    assert "echo" not in REGISTRY.names()
    message = error_of(run_tool_call("calculator", '{"expression": "1+1"}', CONTEXT, registry))
    assert message == "unknown tool 'calculator'; available: echo, explode, unsendable"


def test_registering_a_duplicate_name_or_an_invalid_schema_is_refused(registry: ToolRegistry) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Tool("echo", "again", {"type": "object"}, lambda context: {}))
    with pytest.raises(jsonschema.SchemaError):
        registry.register(Tool("broken", "bad schema", {"type": "objekt"}, lambda context: {}))
    assert "broken" not in registry.names()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"text": "hi"', "the arguments are not valid JSON (Expecting ',' delimiter); send a JSON object"),
        ("not json at all", "the arguments are not valid JSON (Expecting value); send a JSON object"),
        ('["hi"]', "the arguments must be a JSON object"),
        ('"hi"', "the arguments must be a JSON object"),
        ("null", "the arguments must be a JSON object"),
        ("{}", "invalid arguments: 'text' is a required property"),
        ("", "invalid arguments: 'text' is a required property"),  # no arguments at all = {}
        ('{"text": 42}', "invalid arguments: 42 is not of type 'string'"),
    ],
    ids=["truncated", "garbage", "array", "string", "null", "missing", "empty", "wrong-type"],
)
def test_malformed_arguments_become_an_error_result(registry: ToolRegistry, arguments: str, expected: str) -> None:
    result = run_tool_call("echo", arguments, CONTEXT, registry)
    assert error_of(result) == expected
    assert result.arguments == arguments  # kept as the model sent them, for the tool block


def test_arguments_the_function_does_not_take_are_reported_not_raised(registry: ToolRegistry) -> None:
    # The schema allows extra properties; the Python function does not take them.
    message = error_of(run_tool_call("echo", '{"text": "hi", "loud": true}', CONTEXT, registry))
    assert message.startswith("echo failed:") and "loud" in message


def test_a_failing_tool_becomes_an_error_result(registry: ToolRegistry) -> None:
    assert error_of(run_tool_call("explode", "{}", CONTEXT, registry)) == "explode failed: the backend of this tool is down"


@pytest.mark.parametrize("kind", ["nan", "huge", "circular"])
def test_a_result_that_is_not_json_becomes_an_error_result(registry: ToolRegistry, kind: str) -> None:
    message = error_of(run_tool_call("unsendable", json.dumps({"kind": kind}), CONTEXT, registry))
    assert message.startswith("unsendable returned a result that cannot be sent as JSON:"), message


def test_search_conversations_without_a_search_says_so() -> None:
    message = error_of(run_tool_call("search_conversations", '{"query": "giraffes"}', CONTEXT))
    assert message == "search_conversations failed: conversation search is not available here"
    message = error_of(run_tool_call("search_conversations", '{"query": "giraffes", "limit": 50}', CONTEXT))
    assert message == "invalid arguments: 50 is greater than the maximum of 10"


def test_current_time_answers_in_the_zone_and_refuses_unknown_zones() -> None:
    result = run_tool_call("current_time", '{"timezone": "Europe/Paris"}', CONTEXT)
    payload = json.loads(result.content)
    assert result.ok and payload["timezone"] == "Europe/Paris"
    assert payload["iso"][-6:] in ("+01:00", "+02:00")
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd"):
        message = error_of(run_tool_call("current_time", json.dumps({"timezone": zone}), CONTEXT))
        assert message == f"current_time failed: unknown time zone {zone!r}; use an IANA name such as Europe/Paris"


# -- the calculator -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("12*7", 84),
        ("(3+4)**2", 49),
        ("2^10", 1024),
        ("12 × 7 ÷ 4", 21),
        ("7/2", 3.5),
        ("7//2", 3),
        ("-7 % 3", 2),
        ("sqrt(16) + abs(-2)", 6),
        ("round(pi, 3)", 3.142),
        ("2**-2", 0.25),
        ("10**1000", 10**1000),
    ],
)
def test_calculator_computes_arithmetic(expression: str, value: float) -> None:
    result = calculate(expression)
    assert result.ok, result.content
    assert json.loads(result.content) == {"expression": expression, "result": value}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("__import__('os')", "function '__import__' is not allowed; allowed functions: sqrt, abs, round, sin, cos, tan, log, exp"),
        ("__import__('os').system('touch /tmp/calculator-was-evaluated')", "attribute access (.) is not allowed in an arithmetic expression"),
        ("(1).__class__.__bases__", "attribute access (.) is not allowed in an arithmetic expression"),
        ("pi.real", "attribute access (.) is not allowed in an arithmetic expression"),
        ("open('/etc/passwd')", "function 'open' is not allowed; allowed functions: sqrt, abs, round, sin, cos, tan, log, exp"),
        ("eval('1+1')", "function 'eval' is not allowed; allowed functions: sqrt, abs, round, sin, cos, tan, log, exp"),
        ("(lambda: 1)()", "Lambda is not allowed in an arithmetic expression"),
        ("os", "unknown name 'os'; only the constants pi, e are allowed"),
        ("[x for x in (1, 2)]", "ListComp is not allowed in an arithmetic expression"),
        ("'a' * 3", "only numbers are allowed, not str 'a'"),
        ("True + 1", "only numbers are allowed, not bool True"),
        ("1 << 3", "the operator LShift is not allowed; use + - * / // % ** ^"),
        ("sqrt(x=4)", "sqrt() takes plain arguments only (no keywords)"),
        ("import os", "not an arithmetic expression: 'import os'"),
        ("1 +", "not an arithmetic expression: '1 +'"),
        ("1\x00", "not an arithmetic expression: '1\\x00'"),
    ],
)
def test_calculator_refuses_everything_but_arithmetic(expression: str, expected: str) -> None:
    assert error_of(calculate(expression)) == f"calculator failed: {expected}"
    assert not Path("/tmp/calculator-was-evaluated").exists()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2**100000", "exponent too large (the limit is 1000)"),
        ("2**(10**4)", "exponent too large (the limit is 1000)"),
        ("(9**999)**999", "the result is too large (more than 4000 digits)"),
        ("((9**999)**999)**999", "the result is too large (more than 4000 digits)"),  # refused before it is computed
        ("10**1000 * 10**1000 * 10**1000 * 10**1000 * 10**1000", "the result is too large (more than 4000 digits)"),
        ("10.0**1000", "the result is too large (beyond the range of floating point numbers)"),
        ("exp(1000)", "the result is too large (beyond the range of floating point numbers)"),
        ("1e308 * 10", "the result is too large (beyond the range of floating point numbers)"),
        ("1e308 * 10 - 1e308 * 10", "the result is not a number"),
        ("(-8) ** 0.5", "the result is a complex number; only real results are supported"),
        ("1/0", "division by zero"),
        ("1//0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("sqrt(-1)", "math domain error"),
        ("sqrt(1, 2)", "wrong arguments: math.sqrt() takes exactly one argument (2 given)"),
    ],
)
def test_calculator_reports_impossible_results_without_computing_them(expression: str, expected: str) -> None:
    # Computed, the largest of these would run for hours: the refusal comes first. The thread only
    # keeps a regression from hanging the suite; its generous limit is not a speed target.
    done: list = []
    worker = threading.Thread(target=lambda: done.append(calculate(expression)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert done, f"calculate({expression!r}) was still running after 60 s"
    assert error_of(done[0]) == f"calculator failed: {expected}"


def test_calculator_refuses_long_input() -> None:
    expression = "1+" * (MAX_EXPRESSION_CHARS // 2) + "1"
    assert error_of(calculate(expression)) == f"calculator failed: expression longer than {MAX_EXPRESSION_CHARS} characters"
    assert calculate("1+" * ((MAX_EXPRESSION_CHARS - 1) // 2) + "1").ok  # just under the limit


def test_calculator_never_calls_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the calculator must not evaluate Python")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate_arithmetic("(3+4)**2 / sqrt(4)") == 24.5
    with pytest.raises(ValueError, match="not allowed"):
        evaluate_arithmetic("__import__('os').getcwd()")


def test_search_conversations_looks_up_each_word_and_ranks_by_words_matched() -> None:
    chats = [
        {"id": "a", "title": "giraffes", "updated_at": "2026-01-03T00:00:00", "text": "giraffes are tall"},
        {"id": "b", "title": "zoo trip", "updated_at": "2026-01-02T00:00:00", "text": "tall giraffes at the zoo"},
        {"id": "c", "title": "zebras", "updated_at": "2026-01-04T00:00:00", "text": "zebras at the zoo"},
    ]
    asked: list[tuple[str, int]] = []

    def search(word: str, limit: int) -> list[dict[str, Any]]:
        asked.append((word, limit))
        return [{k: v for k, v in c.items() if k != "text"} for c in chats if word in c["text"]][:limit]

    context = ToolContext(search_conversations=search)
    result = run_tool_call("search_conversations", '{"query": "Tall giraffes, zoo!", "limit": 2}', context)
    payload = json.loads(result.content)
    assert [word for word, _ in asked] == ["tall", "giraffes", "zoo"]
    assert [(m["id"], m["matched_words"]) for m in payload["matches"]] == [("b", ["tall", "giraffes", "zoo"]), ("a", ["tall", "giraffes"])]
    # Asked from conversation "b" (which holds the question itself), the others come first.
    result = run_tool_call("search_conversations", '{"query": "Tall giraffes, zoo!"}', ToolContext(search, conversation_id="b"))
    assert [m["id"] for m in json.loads(result.content)["matches"]] == ["a", "c", "b"]
    assert error_of(run_tool_call("search_conversations", '{"query": "? !"}', context)) == (
        "search_conversations failed: the query has no words to look for"
    )
