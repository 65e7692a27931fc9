"""The set of tools one agent is offered, looked up by name when the model calls one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.agents.tools._redact import Redactor
from bot.agents.tools._result import Tool, ToolResult


class Toolbox:
    """Tools by name: their definitions for the request, and execution of calls.

    Every result passes through redaction: known secret values (the service's keys), also
    base64-, hex- or URL-encoded, are replaced before the text can reach the model, a log or a
    checkpoint.
    """

    def __init__(self, tools: Sequence[Tool], *, redact: Sequence[str] = ()) -> None:
        self._tools = {tool.name: tool for tool in tools}
        if len(self._tools) != len(tools):
            raise ValueError("two tools share a name")
        self._redactor = Redactor(redact)

    @property
    def names(self) -> list[str]:
        """Tool names, in the order offered."""
        return list(self._tools)

    def definitions(self) -> list[dict[str, Any]]:
        """The ``tools`` list of a request."""
        return [tool.definition() for tool in self._tools.values()]

    def execute(self, name: str, tool_input: Any) -> ToolResult:
        """Run one tool call, its output redacted; a failure of any kind is an error result."""
        result = self._run(name, tool_input)
        content = self._redactor.redact(result.content)
        return result if content == result.content else replace(result, content=content)

    def _run(self, name: str, tool_input: Any) -> ToolResult:
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
