"""Function tools the chat can offer a model: a registry where adding a tool is one function and a schema."""

from .registry import REGISTRY, Tool, ToolContext, ToolResult, run_tool_call, tool

__all__ = ["REGISTRY", "Tool", "ToolContext", "ToolResult", "run_tool_call", "tool"]

from . import builtin  # noqa: E402,F401  (registers the built-in tools)
