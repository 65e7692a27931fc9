"""A journal of finished model and tool calls, so a conversation resumes without paying twice.

Each finished call is appended to a JSON Lines file with a digest of its input. Wrapping the
loop's ``call_model`` and ``run_tool`` with a journal that already holds entries replays them
in order instead of calling again; the first call past the end runs for real. A replayed call
whose input differs from the recorded one means the conversation diverged: that is an error,
not a silent replay. A durable engine's step checkpoints serve the same purpose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.agents._model import ModelCall, ModelRequest, ModelResponse
from bot.agents.tools import ToolResult

RunTool = Callable[[str, Any], ToolResult]


class JournalMismatchError(RuntimeError):
    """A replayed call's input differs from the one recorded: the run cannot be resumed."""


def _digest(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class CallJournal:
    """Records calls to a JSONL file and replays them on a later run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[dict[str, Any]] = []
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            self._entries = [json.loads(line) for line in lines if line.strip()]
        self._position = 0
        self.replayed = 0
        self.recorded = 0
        self._lock = threading.Lock()

    def wrap_model(self, call: ModelCall) -> ModelCall:
        """``call`` with its finished calls replayed from the journal."""

        def journaled(request: ModelRequest) -> ModelResponse:
            key = _digest(request.model_dump(mode="json"))
            recorded = self._replay("model", key)
            if recorded is not None:
                return ModelResponse.model_validate(recorded)
            response = call(request)
            self._record("model", key, response.model_dump(mode="json"))
            return response

        return journaled

    def wrap_tool(self, run: RunTool) -> RunTool:
        """A tool runner (``name, input -> ToolResult``) with finished calls replayed."""

        def journaled(name: str, tool_input: Any) -> ToolResult:
            key = _digest({"name": name, "input": tool_input})
            recorded = self._replay("tool", key)
            if recorded is not None:
                return ToolResult(**recorded)
            result = run(name, tool_input)
            self._record("tool", key, dataclasses.asdict(result))
            return result

        return journaled

    def _replay(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            if self._position >= len(self._entries):
                return None
            entry = self._entries[self._position]
            if entry["kind"] != kind or entry["key"] != key:
                raise JournalMismatchError(
                    f"call {self._position} ({kind}) differs from the recorded "
                    f"{entry['kind']} call: the conversation diverged from {self.path}"
                )
            self._position += 1
            self.replayed += 1
            value: dict[str, Any] = entry["value"]
            return value

    def _record(self, kind: str, key: str, value: dict[str, Any]) -> None:
        entry = {"kind": kind, "key": key, "value": value}
        with self._lock:
            self._entries.append(entry)
            self._position += 1
            self.recorded += 1
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
