"""Where a review comment may go: the new-side lines of a pull request's diff (pure).

GitHub accepts an inline review comment only on a line that appears in the diff, and a
multi-line comment only when its first and last lines sit in the same hunk. Reviewers report
findings on lines of the new file; ``place`` moves each one onto a line GitHub will accept,
or says it belongs in the review body, so that no finding is ever dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    """One hunk of a file's patch: the new-side lines it shows and which of them are added."""

    start: int
    end: int
    added: frozenset[int]

    def contains(self, line: int) -> bool:
        """True when ``line`` (new-file numbering) is shown in this hunk."""
        return self.start <= line <= self.end


@dataclass(frozen=True)
class Placement:
    """Where one finding lands: an inline position, or ``inline=False`` for the review body."""

    path: str
    line: int
    start_line: int | None
    inline: bool
    moved: bool


def parse_hunks(patch: str | None) -> list[Hunk]:
    """The hunks of one file's unified-diff ``patch`` (GitHub's ``files[].patch``)."""
    hunks: list[Hunk] = []
    if not patch:
        return hunks
    start = current = -1
    added: set[int] = set()

    def close() -> None:
        if start >= 0 and current > start:
            hunks.append(Hunk(start=start, end=current - 1, added=frozenset(added)))

    for raw in patch.splitlines():
        header = _HUNK_HEADER.match(raw)
        if header:
            close()
            start = current = int(header.group("start"))
            added = set()
        elif start < 0 or raw.startswith("\\"):
            continue  # preamble before the first hunk, or "\ No newline at end of file"
        elif raw.startswith("+"):
            added.add(current)
            current += 1
        elif not raw.startswith("-"):
            current += 1  # a context line exists on both sides
    close()
    return hunks


def _nearest_line(hunks: Iterable[Hunk], line: int) -> int | None:
    best: tuple[int, int] | None = None
    for hunk in hunks:
        candidate = min(max(line, hunk.start), hunk.end)
        distance = abs(candidate - line)
        if best is None or distance < best[0]:
            best = (distance, candidate)
    return None if best is None else best[1]


def place(
    path: str, line: int, end_line: int | None, patches: Mapping[str, str | None]
) -> Placement:
    """Place a finding reported on ``path`` lines ``line``..``end_line`` of the new file.

    Exact hunk -> inline there; a range crossing hunks -> the end of the range that is in a hunk;
    outside every hunk -> the nearest line of the nearest hunk (``moved=True``); a file not in
    the diff or without a patch (binary, too large) -> the review body (``inline=False``).
    """
    last = max(line, end_line) if end_line is not None else line
    first = min(line, end_line) if end_line is not None else line
    hunks = parse_hunks(patches.get(path))
    if not hunks:
        return Placement(path=path, line=last, start_line=None, inline=False, moved=False)
    for hunk in hunks:
        if hunk.contains(first) and hunk.contains(last):
            start = first if first != last else None
            return Placement(path=path, line=last, start_line=start, inline=True, moved=False)
    for hunk in hunks:
        if hunk.contains(last) or hunk.contains(first):
            anchor = last if hunk.contains(last) else first
            return Placement(path=path, line=anchor, start_line=None, inline=True, moved=False)
    nearest = _nearest_line(hunks, last)
    assert nearest is not None  # hunks is not empty
    return Placement(path=path, line=nearest, start_line=None, inline=True, moved=True)
