"""Where a review comment may go: the new-side lines of a pull request's diff (pure).

GitHub accepts an inline review comment only on a line that appears in the diff, and a
multi-line comment only when its first and last lines sit in the same hunk. Models miscount
lines, so reviewers see each line's new-file number, and each finding quotes the code it is
about: ``place`` anchors a finding on the lines its quote matches (the match nearest the line
the model gave), and sends a finding whose quote matches nothing to the review body rather than
guess. A finding without a quote (the ``submit_review`` contract before quotes) is placed as it
always was: on its lines, else on the nearest line the diff shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
# What a model may copy from the numbered diff into a quote: the number and the +/space mark.
_NUMBER_PREFIX = re.compile(r"^\s*\d+ [+ ]")
NUMBER_WIDTH = 5


@dataclass(frozen=True)
class Hunk:
    """One hunk of a file's patch: the new-side lines it shows and which of them are added."""

    start: int
    end: int
    added: frozenset[int]
    text: Mapping[int, str] = field(default_factory=dict, compare=False)

    def contains(self, line: int) -> bool:
        """True when ``line`` (new-file numbering) is shown in this hunk."""
        return self.start <= line <= self.end


@dataclass(frozen=True)
class Placement:
    """Where one finding lands: an inline position, or ``inline=False`` for the review body.

    ``moved``: the quote put it on other lines than the model gave. ``quoted``: the commented
    lines are exactly the quoted code (only then may a suggestion replace them).
    """

    path: str
    line: int
    start_line: int | None
    inline: bool
    moved: bool
    quoted: bool = False
    why_not: str = ""


def parse_hunks(patch: str | None) -> list[Hunk]:
    """The hunks of one file's unified-diff ``patch`` (GitHub's ``files[].patch``)."""
    hunks: list[Hunk] = []
    if not patch:
        return hunks
    start = current = -1
    added: set[int] = set()
    text: dict[int, str] = {}

    def close() -> None:
        if start >= 0 and current > start:
            hunks.append(Hunk(start, current - 1, frozenset(added), dict(text)))

    for raw in patch.splitlines():
        header = _HUNK_HEADER.match(raw)
        if header:
            close()
            start = current = int(header.group("start"))
            added, text = set(), {}
        elif start < 0 or raw.startswith("\\"):
            continue  # preamble before the first hunk, or "\ No newline at end of file"
        elif raw.startswith("+"):
            added.add(current)
            text[current] = raw[1:]
            current += 1
        elif not raw.startswith("-"):
            text[current] = raw[1:]
            current += 1  # a context line exists on both sides
    close()
    return hunks


def number_patch(patch: str | None) -> str:
    """The patch with each new-side line's number in front, so reviewers need not count.

    ``  12 +added``, ``  13  context``; removed lines get no number (``      -gone``); hunk
    headers and other lines are kept as they are.
    """
    if not patch:
        return ""
    out: list[str] = []
    current = -1
    blank = " " * NUMBER_WIDTH
    for raw in patch.splitlines():
        header = _HUNK_HEADER.match(raw)
        if header:
            current = int(header.group("start"))
            out.append(raw)
        elif current < 0 or raw.startswith("\\"):
            out.append(raw)
        elif raw.startswith("-"):
            out.append(f"{blank} {raw}")
        else:
            mark = "+" if raw.startswith("+") else " "
            out.append(f"{current:>{NUMBER_WIDTH}} {mark}{raw[1:]}")
            current += 1
    return "\n".join(out)


def quote_lines(quote: str) -> list[str]:
    """A quote as the code lines it names: numbers a model copied dropped, outer blanks too."""
    lines = [_NUMBER_PREFIX.sub("", line).strip() for line in quote.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _matches(hunks: list[Hunk], wanted: list[str]) -> list[tuple[int, int]]:
    """Every (first, last) run of consecutive new-side lines whose code is ``wanted``."""
    found: list[tuple[int, int]] = []
    for hunk in hunks:
        for first in range(hunk.start, hunk.end - len(wanted) + 2):
            span = range(first, first + len(wanted))
            if all(hunk.text.get(n, "\0").strip() == w for n, w in zip(span, wanted, strict=True)):
                found.append((first, first + len(wanted) - 1))
    return found


def place(
    path: str,
    line: int,
    end_line: int | None,
    patches: Mapping[str, str | None],
    quote: str | None = None,
) -> Placement:
    """Place a finding reported on ``path`` lines ``line``..``end_line``, quoting ``quote``.

    With a quote: the matching lines nearest ``line`` (inline, ``quoted``), else the body. Without
    one: the given lines, else the nearest shown line (``moved``); a file without a patch: the
    body.
    """
    first = min(line, end_line) if end_line is not None else line
    last = max(line, end_line) if end_line is not None else line
    hunks = parse_hunks(patches.get(path))

    def body(why: str) -> Placement:
        return Placement(path, last, None, inline=False, moved=False, why_not=why)

    if not hunks:
        return body("the file has no diff to comment on")
    wanted = quote_lines(quote) if quote else []
    if wanted:
        runs = _matches(hunks, wanted)
        if not runs:
            return body("the quoted code is not in the diff")
        start, end = min(runs, key=lambda run: (abs(run[0] - first), run[0]))
        return Placement(
            path,
            end,
            start if start != end else None,
            inline=True,
            moved=start != first,
            quoted=True,
        )
    return _by_line(path, first, last, hunks)


def _by_line(path: str, first: int, last: int, hunks: list[Hunk]) -> Placement:
    """An unquoted finding, placed as it always was: on its lines when one hunk shows them,
    else on the end of the range a hunk shows, else on the nearest shown line (``moved``)."""
    for hunk in hunks:
        if hunk.contains(first) and hunk.contains(last):
            return Placement(path, last, first if first != last else None, True, False)
    for hunk in hunks:
        if hunk.contains(last) or hunk.contains(first):
            anchor = last if hunk.contains(last) else first
            return Placement(path, anchor, None, True, False)
    best = min(
        (min(max(last, h.start), h.end) for h in hunks), key=lambda line: (abs(line - last), line)
    )
    return Placement(path, best, None, inline=True, moved=True)
