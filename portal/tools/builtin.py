"""The built-in tools: a calculator (parsed, never eval'd), the time in a zone, and search over saved chats."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .registry import ToolContext, tool

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "log": math.log,
    "exp": math.exp,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000
MAX_RESULT_DIGITS = 4000  # below Python's 4300-digit int-to-text limit; bounds time and memory too
MAX_SEARCH_WORDS = 8
SEARCH_CANDIDATES_PER_WORD = 50


def _too_large(digits: bool = True) -> ValueError:
    limit = f"more than {MAX_RESULT_DIGITS} digits" if digits else "beyond the range of floating point numbers"
    return ValueError(f"the result is too large ({limit})")


def _digits(value: int) -> float:
    return math.log10(abs(value)) + 1 if value else 1.0


def _power(left: Any, right: Any) -> Any:
    if abs(right) > MAX_EXPONENT:
        raise ValueError(f"exponent too large (the limit is {MAX_EXPONENT})")
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if right * math.log10(abs(left)) > MAX_RESULT_DIGITS:  # checked before computing: (9**999)**999 must not run
            raise _too_large()
    return operator.pow(left, right)


def _unsupported(node: ast.AST) -> ValueError:
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):  # e.g. x.y() or (lambda: 1)(): explain what is called
            return _unsupported(node.func)
        if node.func.id in _FUNCTIONS:
            return ValueError(f"{node.func.id}() takes plain arguments only (no keywords)")
        return ValueError(f"function {node.func.id!r} is not allowed; allowed functions: {', '.join(_FUNCTIONS)}")
    if isinstance(node, ast.Attribute):
        return ValueError("attribute access (.) is not allowed in an arithmetic expression")
    if isinstance(node, ast.Name):
        return ValueError(f"unknown name {node.id!r}; only the constants {', '.join(_CONSTANTS)} are allowed")
    if isinstance(node, ast.Constant):
        return ValueError(f"only numbers are allowed, not {type(node.value).__name__} {node.value!r:.30}")
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return ValueError(f"the operator {type(node.op).__name__} is not allowed; use + - * / // % ** ^")
    return ValueError(f"{type(node).__name__} is not allowed in an arithmetic expression")


def evaluate_arithmetic(expression: str) -> float | int:
    """Evaluate + - * / // % ** and a few math functions by walking the parsed tree (no eval).

    Every failure is a ValueError with a message for the model: a syntax error, anything that is
    not arithmetic (names, attributes, calls other than the math functions), division by zero, and
    results too large to compute or to send (over MAX_RESULT_DIGITS digits, or not finite).
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    cleaned = expression.replace("^", "**").replace("×", "*").replace("÷", "/").strip()
    try:
        tree = ast.parse(cleaned, mode="eval")
    except (SyntaxError, ValueError):
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow):
                return _power(left, right)
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS and not node.keywords:
            return _FUNCTIONS[node.func.id](*[walk(arg) for arg in node.args])
        raise _unsupported(node)

    try:
        result = walk(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except OverflowError:
        raise _too_large(digits=False) from None
    except TypeError as exc:  # e.g. sqrt(1, 2)
        raise ValueError(f"wrong arguments: {exc}") from None
    if isinstance(result, complex):  # e.g. (-8) ** 0.5
        raise ValueError("the result is a complex number; only real results are supported")
    if isinstance(result, float) and not math.isfinite(result):
        raise _too_large(digits=False) if math.isinf(result) else ValueError("the result is not a number")
    if isinstance(result, int) and _digits(result) > MAX_RESULT_DIGITS:
        raise _too_large()
    if isinstance(result, float) and result.is_integer() and abs(result) < 1e15:
        return int(result)
    return result


@tool(
    "calculator",
    "Evaluate an arithmetic expression exactly, e.g. 12*7 or (3+4)**2 / sqrt(2).",
    {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "The arithmetic expression to evaluate"}},
        "required": ["expression"],
    },
)
def calculator(context: ToolContext, expression: str) -> dict[str, Any]:
    return {"expression": expression, "result": evaluate_arithmetic(expression)}


@tool(
    "current_time",
    "Get the current date and time in a time zone (IANA name such as Europe/Paris, or UTC).",
    {
        "type": "object",
        "properties": {"timezone": {"type": "string", "description": "IANA time zone name, e.g. America/New_York"}},
        "required": ["timezone"],
    },
)
def current_time(context: ToolContext, timezone: str) -> dict[str, Any]:
    try:
        zone = ZoneInfo(timezone.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}; use an IANA name such as Europe/Paris") from None
    now = datetime.now(zone)
    return {"timezone": str(zone), "iso": now.isoformat(timespec="seconds"), "weekday": now.strftime("%A")}


@tool(
    "search_conversations",
    "Search the user's own saved conversations by words in titles and messages.",
    {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Words to look for"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["query"],
    },
)
def search_conversations(context: ToolContext, query: str, limit: int = 5) -> dict[str, Any]:
    """Each word is looked up on its own (the storage search matches one phrase); conversations that
    contain more of the words come first, then the most recently updated. The conversation the search
    is asked from holds the question itself, so it comes last."""
    if context.search_conversations is None:
        raise ValueError("conversation search is not available here")
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", query) if len(w) > 1))[:MAX_SEARCH_WORDS]
    if not words:
        raise ValueError("the query has no words to look for")
    found: dict[str, dict[str, Any]] = {}
    matched: dict[str, list[str]] = {}
    for word in words:
        for match in context.search_conversations(word, SEARCH_CANDIDATES_PER_WORD):
            found.setdefault(match["id"], match)
            matched.setdefault(match["id"], []).append(word)
    ranked = sorted(found.values(), key=lambda m: str(m.get("updated_at", "")), reverse=True)
    ranked.sort(key=lambda m: (m["id"] != context.conversation_id, len(matched[m["id"]])), reverse=True)  # stable: recency breaks ties
    return {"query": query, "matches": [{**m, "matched_words": matched[m["id"]]} for m in ranked[:limit]]}
