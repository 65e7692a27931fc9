"""Anthropic's text editor tool (``text_editor_20250728``), executed inside the workspace.

Commands: ``view`` (a file with optional ``view_range``, or a directory two levels deep),
``create``, ``str_replace`` (exactly one match) and ``insert`` (after line ``insert_line``; 0 is
the top). Every path goes through ``Workspace.resolve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.agents.tools._paths import ToolError, Workspace
from bot.agents.tools._result import ToolResult

EDITOR_NAME = "str_replace_based_edit_tool"
EDITOR_TYPE = "text_editor_20250728"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LISTED = 1000
_WRITES = ("create", "str_replace", "insert")


class TextEditorTool:
    """The editor: view, create, str_replace and insert in one checkout."""

    name = EDITOR_NAME

    def __init__(
        self, workspace: Workspace, *, read_only: bool = False, max_view_chars: int = 50_000
    ) -> None:
        self.workspace = workspace
        self.read_only = read_only
        self.max_view_chars = max_view_chars

    def definition(self) -> dict[str, Any]:
        """The tool as offered to the model (schema-less: the model knows its inputs)."""
        return {"type": EDITOR_TYPE, "name": EDITOR_NAME, "max_characters": self.max_view_chars}

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """Carry out one command; failures come back as an error result, never raised."""
        try:
            return ToolResult(self._dispatch(tool_input))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)
        except OSError as exc:  # e.g. a parent path that is a file, a full disk
            where = self.workspace.relative(Path(exc.filename)) if exc.filename else "the file"
            return ToolResult(f"Error: cannot write {where}: {exc.strerror}", is_error=True)

    def close(self) -> None:
        """Nothing to release."""

    def _dispatch(self, tool_input: dict[str, Any]) -> str:
        command = tool_input.get("command")
        if command not in ("view", *_WRITES):
            raise ToolError(
                f"unknown command {command!r}; use one of view, create, str_replace, insert"
            )
        if command in _WRITES and self.read_only:
            raise ToolError(f"this role may only view files; {command!r} is not allowed")
        path = self.workspace.resolve(_text(tool_input, "path"))
        if command == "view":
            return self._view(path, tool_input.get("view_range"))
        if command == "create":
            return self._create(path, _text(tool_input, "file_text", allow_empty=True))
        if command == "str_replace":
            new = tool_input.get("new_str") or ""
            return self._str_replace(path, _text(tool_input, "old_str"), _as_str(new, "new_str"))
        text = tool_input.get("insert_text", tool_input.get("new_str"))
        return self._insert(path, tool_input.get("insert_line"), _as_str(text, "insert_text"))

    def _view(self, path: Path, view_range: Any) -> str:
        if path.is_dir():
            if view_range is not None:
                raise ToolError("view_range is only for files, not directories")
            return self._list(path)
        lines = _read(path, self.workspace).split("\n")
        first, last = _range(view_range, len(lines))
        numbered = "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(first, last + 1))
        if len(numbered) > self.max_view_chars:
            numbered = numbered[: self.max_view_chars] + (
                "\n<output truncated: view a smaller view_range to see the rest>"
            )
        return numbered

    def _list(self, directory: Path) -> str:
        entries: list[str] = []
        for child in _walk(directory, self.workspace, depth=2):
            entries.append(child)
            if len(entries) >= MAX_LISTED:
                entries.append(f"<listing stopped after {MAX_LISTED} entries>")
                break
        shown = self.workspace.relative(directory)
        header = f"Files and directories up to 2 levels deep in {shown}, hidden ones excluded:"
        return "\n".join([header, *entries])

    def _create(self, path: Path, text: str) -> str:
        if path.is_dir():
            raise ToolError(f"{self.workspace.relative(path)} is a directory")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        verb = "overwritten" if existed else "created"
        return f"File {verb}: {self.workspace.relative(path)}"

    def _str_replace(self, path: Path, old: str, new: str) -> str:
        content = _read(path, self.workspace)
        count = content.count(old)
        shown = self.workspace.relative(path)
        if count == 0:
            raise ToolError(f"no match for old_str in {shown}; old_str must match exactly")
        if count > 1:
            lines = _lines_of(content, old)
            raise ToolError(
                f"old_str occurs {count} times in {shown} (lines {lines}); "
                "include more context so that it matches exactly once"
            )
        start_line = content[: content.index(old)].count("\n") + 1
        path.write_text(content.replace(old, new, 1), encoding="utf-8", newline="")
        end_line = start_line + new.count("\n")
        return f"Edited {shown}: replaced 1 occurrence (now lines {start_line}-{end_line})"

    def _insert(self, path: Path, insert_line: Any, text: str) -> str:
        content = _read(path, self.workspace)
        lines = content.split("\n")
        if not isinstance(insert_line, int) or isinstance(insert_line, bool):
            raise ToolError("insert_line must be an integer (0 inserts at the top)")
        if not 0 <= insert_line <= len(lines):
            raise ToolError(f"insert_line {insert_line} is outside 0..{len(lines)}")
        new_lines = text.split("\n")
        if text.endswith("\n"):
            new_lines = new_lines[:-1]
        updated = lines[:insert_line] + new_lines + lines[insert_line:]
        path.write_text("\n".join(updated), encoding="utf-8", newline="")
        shown = self.workspace.relative(path)
        return f"Inserted {len(new_lines)} line(s) into {shown} after line {insert_line}"


def _text(tool_input: dict[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = tool_input.get(key)
    if value is None or (value == "" and not allow_empty):
        raise ToolError(f"{key} is required")
    return _as_str(value, key)


def _as_str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ToolError(f"{key} must be a string")
    return value


def _read(path: Path, workspace: Workspace) -> str:
    shown = workspace.relative(path)
    if not path.exists():
        raise ToolError(f"{shown} does not exist")
    if not path.is_file():
        raise ToolError(f"{shown} is not a regular file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ToolError(f"{shown} is larger than {MAX_FILE_BYTES} bytes; use bash to inspect it")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise ToolError(f"{shown} is not a UTF-8 text file") from None


def _range(view_range: Any, line_count: int) -> tuple[int, int]:
    if view_range is None:
        return 1, line_count
    if (
        not isinstance(view_range, list)
        or len(view_range) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in view_range)
    ):
        raise ToolError("view_range must be two integers [start, end]; end -1 means the last line")
    first, last = view_range
    last = line_count if last == -1 else last
    if not 1 <= first <= line_count or not first <= last <= line_count:
        raise ToolError(f"view_range {view_range} is outside the file's lines 1..{line_count}")
    return first, last


def _lines_of(content: str, needle: str) -> str:
    found, start = [], 0
    while (index := content.find(needle, start)) != -1:
        found.append(str(content[:index].count("\n") + 1))
        start = index + 1
    return ", ".join(found)


def _walk(directory: Path, workspace: Workspace, depth: int) -> list[str]:
    listed: list[str] = []
    try:
        children = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise ToolError(f"cannot list {workspace.relative(directory)}: {exc.strerror}") from None
    for child in children:
        if child.name.startswith("."):
            continue
        relative = child.relative_to(workspace.root)
        if workspace.is_denied(relative):
            continue
        is_dir = child.is_dir() and not child.is_symlink()
        listed.append(f"{relative}/" if is_dir else str(relative))
        if is_dir and depth > 1:
            listed.extend(_walk(child, workspace, depth - 1))
    return listed
