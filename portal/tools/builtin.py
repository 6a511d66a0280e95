"""The built-in tools: a calculator (parsed, never eval'd), the time in a zone, and search over saved chats."""

from __future__ import annotations

import ast
import math
import operator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .registry import ToolContext, tool

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS = {"sqrt": math.sqrt, "abs": abs, "round": round, "sin": math.sin, "cos": math.cos, "tan": math.tan, "log": math.log, "exp": math.exp}
_CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000


def evaluate_arithmetic(expression: str) -> float | int:
    """Evaluate + - * / // % ** and a few math functions by walking the parsed tree (no eval)."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    cleaned = expression.replace("^", "**").replace("×", "*").replace("÷", "/").strip()
    try:
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise ValueError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Name) and node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS and not node.keywords:
            return _FUNCTIONS[node.func.id](*[walk(arg) for arg in node.args])
        raise ValueError(f"unsupported element in expression: {ast.dump(node)[:60]}")

    try:
        result = walk(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
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
    if context.search_conversations is None:
        raise ValueError("conversation search is not available here")
    return {"query": query, "matches": context.search_conversations(query, limit)}
