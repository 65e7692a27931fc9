"""Read-only search for planners and reviewers: ``grep`` (a regular expression over file
contents) and ``glob`` (file paths by pattern), inside the checkout only.

Plain Python, no subprocess, so they need no sandbox. The walk never follows a symlink out of
the checkout, skips denied paths (``.git``, CI workflows) and binary files, and its output is
capped with a note saying so, so one call cannot flood the context.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from bot.agents.tools._paths import ToolError, Workspace
from bot.agents.tools._result import ToolResult

GREP_NAME = "grep"
GLOB_NAME = "glob"
MAX_MATCHES = 200
MAX_FILES_READ = 5_000
MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 300
MAX_PATTERN_CHARS = 500


def _walk(workspace: Workspace, start: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under ``start`` (no symlink is followed), with their relative paths."""
    for directory, dirs, files in os.walk(start, followlinks=False):
        base = Path(directory)
        dirs[:] = sorted(
            d
            for d in dirs
            if not workspace.is_denied((base / d).relative_to(workspace.root))
            and not (base / d).is_symlink()
        )
        for name in sorted(files):
            path = base / name
            relative = path.relative_to(workspace.root)
            if path.is_symlink() or workspace.is_denied(relative):
                continue
            yield path, relative.as_posix()


def _start(workspace: Workspace, tool_input: dict[str, Any]) -> Path:
    given = tool_input.get("path") or "."
    if not isinstance(given, str):
        raise ToolError("path must be a string")
    return workspace.resolve(given)


def _text_of(path: Path) -> str | None:
    """A file's text, or None when it is large or binary (a NUL in its first block)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


class GrepTool:
    """Lines matching a regular expression, as ``path:line: text``."""

    name = GREP_NAME

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def definition(self) -> dict[str, Any]:
        """The tool as offered to the model."""
        return {
            "name": GREP_NAME,
            "description": (
                "Search file contents in the checkout with a Python regular expression. "
                f"Returns up to {MAX_MATCHES} matching lines as path:line: text. Read-only."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "A Python regular expression."},
                    "path": {"type": "string", "description": "A folder or file; default '.'."},
                    "glob": {"type": "string", "description": "Only files matching, e.g. *.py"},
                    "ignore_case": {"type": "boolean"},
                },
                "required": ["pattern"],
            },
        }

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """Search; a bad pattern or path comes back as an error result."""
        try:
            return ToolResult(self._search(tool_input))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)

    def _search(self, tool_input: dict[str, Any]) -> str:
        pattern = tool_input.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise ToolError("pattern is required")
        if len(pattern) > MAX_PATTERN_CHARS:
            raise ToolError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
        flags = re.IGNORECASE if tool_input.get("ignore_case") else 0
        try:
            regex = re.compile(pattern, flags)
        except re.error as exc:
            raise ToolError(f"invalid regular expression: {exc}") from None
        only = tool_input.get("glob")
        start = _start(self.workspace, tool_input)
        files = [(start, self.workspace.relative(start))] if start.is_file() else None
        found: list[str] = []
        read = 0
        for path, relative in files or _walk(self.workspace, start):
            if isinstance(only, str) and only and not _matches_glob(relative, only):
                continue
            read += 1
            if read > MAX_FILES_READ:
                found.append(f"<stopped after reading {MAX_FILES_READ} files: narrow the path>")
                break
            text = _text_of(path)
            for number, line in enumerate((text or "").splitlines(), start=1):
                if regex.search(line):
                    found.append(f"{relative}:{number}: {line[:MAX_LINE_CHARS]}")
                    if len(found) >= MAX_MATCHES:
                        found.append(f"<more matches not shown: the first {MAX_MATCHES} are>")
                        return "\n".join(found)
        return "\n".join(found) or "(no matches)"

    def close(self) -> None:
        """Nothing to release."""


def _matches_glob(relative: str, pattern: str) -> bool:
    """``*.py`` matches by name anywhere; a pattern with ``/`` matches the whole path."""
    if "/" in pattern:
        return PurePosixPath(relative).match(pattern) or fnmatch.fnmatch(relative, pattern)
    return fnmatch.fnmatch(PurePosixPath(relative).name, pattern)


class GlobTool:
    """File paths matching a pattern (``**/*.py``, ``src/*.ts``, ``test_*``)."""

    name = GLOB_NAME

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def definition(self) -> dict[str, Any]:
        """The tool as offered to the model."""
        return {
            "name": GLOB_NAME,
            "description": (
                "List files in the checkout whose path matches a glob pattern (a pattern "
                f"without '/' matches file names anywhere). Up to {MAX_MATCHES} paths. Read-only."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "e.g. **/*.py or test_*"},
                    "path": {"type": "string", "description": "A folder; default '.'."},
                },
                "required": ["pattern"],
            },
        }

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """List matching paths; a bad pattern or path comes back as an error result."""
        pattern = tool_input.get("pattern")
        if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN_CHARS:
            return ToolResult("Error: pattern is required (a short glob)", is_error=True)
        try:
            start = _start(self.workspace, tool_input)
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)
        found: list[str] = []
        for _, relative in _walk(self.workspace, start):
            if _matches_glob(relative, pattern.removeprefix("**/")) or _matches_glob(
                relative, pattern
            ):
                found.append(relative)
                if len(found) >= MAX_MATCHES:
                    found.append(f"<more paths not shown: the first {MAX_MATCHES} are>")
                    break
        return ToolResult("\n".join(found) or "(no files match)")

    def close(self) -> None:
        """Nothing to release."""
