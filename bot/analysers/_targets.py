"""Which files an analyser looks at, and which of their lines the pull request changed.

File names come from the pull request, and file names in a tool's output come from a tool
that read code someone else wrote: both are resolved strictly inside the checkout, and a name
the tool reports is accepted only when it is one of the files it was asked to analyse.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.agents.tools import ToolError, Workspace
from bot.diffs import parse_hunks
from bot.ports import FileDiff


@dataclass(frozen=True)
class Targets:
    """The changed files an analyser runs on, by diff path, with their added lines."""

    root: Path
    absolute: Mapping[str, Path]
    changed_lines: Mapping[str, frozenset[int]]
    unreadable: tuple[str, ...]
    by_file: Mapping[Path, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Frozen: the reverse index is set once here, for lookups per reported finding.
        by_file = {absolute: path for path, absolute in self.absolute.items()}
        object.__setattr__(self, "by_file", by_file)

    @property
    def paths(self) -> tuple[str, ...]:
        """The diff paths of the files to analyse, sorted."""
        return tuple(sorted(self.absolute))

    def diff_path(self, reported: object) -> str | None:
        """The diff path a tool's reported file name stands for, or None when it is foreign."""
        if not isinstance(reported, str) or not reported or "\x00" in reported:
            return None
        candidate = Path(reported)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            resolved = Path(os.path.realpath(candidate))
        except (OSError, ValueError):
            return None
        return self.by_file.get(resolved)

    def line_count(self, path: str) -> int:
        """How many lines ``path`` has in the checkout (0 when it cannot be read)."""
        try:
            with self.absolute[path].open("rb") as handle:
                return sum(1 for _ in handle)
        except (KeyError, OSError):
            return 0

    def touches_change(self, path: str, line: int, end_line: int | None) -> bool:
        """Whether lines ``line``..``end_line`` of ``path`` include a line the diff added."""
        added = self.changed_lines.get(path, frozenset())
        last = end_line if end_line is not None else line
        # Over the added lines, not the range: a hostile end line could be a billion lines away.
        return any(line <= number <= max(line, last) for number in added)


def select_targets(root: Path, diffs: Iterable[FileDiff], suffixes: tuple[str, ...]) -> Targets:
    """The files of ``diffs`` ending in ``suffixes`` that exist as regular files in ``root``."""
    workspace = Workspace(root, denied=(".git",))
    absolute: dict[str, Path] = {}
    changed: dict[str, frozenset[int]] = {}
    unreadable: list[str] = []
    for diff in diffs:
        if diff.status == "removed" or not diff.path.lower().endswith(suffixes):
            continue
        try:
            resolved = workspace.resolve(diff.path)
        except ToolError:
            unreadable.append(diff.path)
            continue
        # A symlink's diff is its target's name, not code; a missing file was not checked out.
        if (workspace.root / diff.path).is_symlink() or not resolved.is_file():
            unreadable.append(diff.path)
            continue
        absolute[diff.path] = resolved
        added = frozenset().union(*(hunk.added for hunk in parse_hunks(diff.patch)))
        changed[diff.path] = added
    return Targets(
        root=workspace.root,
        absolute=absolute,
        changed_lines=changed,
        unreadable=tuple(sorted(unreadable)),
    )
