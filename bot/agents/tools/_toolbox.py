"""The set of tools one agent is offered, looked up by name when the model calls one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.agents.tools._result import Tool, ToolResult


class Toolbox:
    """Tools by name: their definitions for the request, and execution of calls."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}
        if len(self._tools) != len(tools):
            raise ValueError("two tools share a name")

    @property
    def names(self) -> list[str]:
        """Tool names, in the order offered."""
        return list(self._tools)

    def definitions(self) -> list[dict[str, Any]]:
        """The ``tools`` list of a request."""
        return [tool.definition() for tool in self._tools.values()]

    def execute(self, name: str, tool_input: Any) -> ToolResult:
        """Run one tool call; an unknown tool or a malformed input is an error result."""
        tool = self._tools.get(name)
        if tool is None:
            offered = ", ".join(self._tools) or "none"
            return ToolResult(f"Error: no tool named {name!r}; offered: {offered}", is_error=True)
        if not isinstance(tool_input, dict):
            return ToolResult(f"Error: {name} input must be a JSON object", is_error=True)
        try:
            return tool.run(tool_input)
        except Exception as exc:  # a bug in one tool must not end the agent's whole run
            return ToolResult(f"Error: {name} failed: {type(exc).__name__}: {exc}", is_error=True)

    def close(self) -> None:
        """Release every tool (shell processes, for example)."""
        for tool in self._tools.values():
            tool.close()

    def __enter__(self) -> Toolbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
