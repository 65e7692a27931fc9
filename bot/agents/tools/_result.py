"""What a tool returns to the loop, and the interface every tool implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer: text for the model, whether it failed, and an accepted submission."""

    content: str
    is_error: bool = False
    submission: dict[str, Any] | None = None


class Tool(Protocol):
    """A tool the loop can offer and run."""

    name: str

    def definition(self) -> dict[str, Any]:
        """The tool as sent in the request's ``tools`` list."""
        ...

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """Carry out one call; failures are error results, not exceptions."""
        ...

    def close(self) -> None:
        """Release what the tool holds (a shell process, for example)."""
        ...
