"""Progress of a local command: a line when each stage starts and ends, and what agents do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Write = Callable[[str], None]
StageStatus = Literal["ok", "failed"]
_SHOWN_CHARS = 100


class StageRecord(BaseModel):
    """One stage of a run: its name, how it ended, its duration and a note."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: StageStatus
    seconds: float
    detail: str = ""


class StageFailed(Exception):
    """Raised inside ``Progress.stage`` to end the stage as failed with a reason."""


class Progress:
    """Prints stage lines through ``write`` and keeps a record of every stage."""

    def __init__(self, write: Write, clock: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self._clock = clock
        self._lock = threading.Lock()
        self.stages: list[StageRecord] = []

    def say(self, line: str) -> None:
        """Print one line (thread-safe: reviewers report from several threads)."""
        with self._lock:
            self._write(line)

    @contextmanager
    def stage(self, name: str, what: str) -> Iterator[list[str]]:
        """Time one stage; the yielded list takes a note shown when it ends.

        An exception ends the stage as failed (with the exception's text) and propagates.
        """
        self.say(f"… {name}: {what}")
        began = self._clock()
        notes: list[str] = []
        try:
            yield notes
        except BaseException as exc:
            self._end(name, "failed", began, str(exc) or type(exc).__name__)
            raise
        self._end(name, "ok", began, "; ".join(notes))

    def _end(self, name: str, status: StageStatus, began: float, detail: str) -> None:
        seconds = self._clock() - began
        mark = "✓" if status == "ok" else "✗"
        tail = f": {detail}" if detail else ""
        self.say(f"{mark} {name} ({seconds:.1f} s){tail}")
        self.stages.append(StageRecord(name=name, status=status, seconds=seconds, detail=detail))

    def on_agent_event(self, event_type: str, payload: dict[str, Any]) -> None:
        """A ``Team`` event hook: one line per tool an agent calls."""
        if event_type != "tool.call":
            return
        self.say(f"    {payload.get('agent', '?')} › {describe_tool_call(payload)}")


def describe_tool_call(payload: dict[str, Any]) -> str:
    """A short human description of one tool call (tool, command, path)."""
    tool = str(payload.get("tool", "?"))
    given = payload.get("input")
    tool_input: dict[str, Any] = given if isinstance(given, dict) else {}
    if tool == "bash":
        command = str(tool_input.get("command", "")).strip().splitlines()
        text = f"bash: {command[0] if command else ''}"
    elif tool == "str_replace_based_edit_tool":
        text = f"{tool_input.get('command', '?')} {tool_input.get('path', '')}".strip()
    else:
        text = tool
    # Control characters from a model must not drive the terminal.
    clean = "".join(char if char.isprintable() else " " for char in text)
    return clean if len(clean) <= _SHOWN_CHARS else clean[: _SHOWN_CHARS - 1] + "…"
