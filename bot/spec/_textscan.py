"""Whole-text pattern scans that report line numbers (one compiled regex pass per pattern)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate


class Scanner:
    """Lines joined into one text, so a pattern runs once in C instead of once per line."""

    def __init__(self, lines: Sequence[str], text: str | None = None) -> None:
        self.lines = lines
        self.text = "\n".join(lines) if text is None else text
        self._starts: list[int] | None = None  # computed on the first match only

    @classmethod
    def of_text(cls, text: str) -> Scanner:
        """A scanner over text whose lines are split only if a pattern matches."""
        return cls((), text)

    def line_of(self, offset: int) -> int:
        """The 1-based line number of a character offset."""
        if self._starts is None:
            lines = self.lines or self.text.split("\n")
            self._starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        return bisect_right(self._starts, offset)

    def lines_matching(self, pattern: re.Pattern[str], *, word_start: bool = False) -> list[int]:
        """Sorted distinct line numbers where the pattern matches.

        With ``word_start`` a match must begin at a word boundary. Patterns that start with
        literal words and leave this check to Python scan several times faster than ones
        that start with ``\\b``, because the regex engine can then skip to candidate letters.
        """
        found: dict[int, None] = {}
        text = self.text
        for match in pattern.finditer(text):
            start = match.start()
            if word_start and start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            found[self.line_of(start)] = None
        return list(found)


def any_in(text: str, needles: Iterable[str]) -> bool:
    """True when one of the literal needles occurs (a cheap filter before a regex pass)."""
    return any(needle in text for needle in needles)
