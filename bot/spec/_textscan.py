"""Whole-text scans: patterns that report line numbers, and literal needles found in one pass."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

from ahocorasick_rs import AhoCorasick


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


class Needles:
    """Literal needles (cheap filters before regex passes) looked for together.

    ``needle in text`` reads the whole text for every absent needle (about 0.3 ms per MB
    each, and most needles are absent); an Aho-Corasick automaton finds all of them in one
    compiled pass. Overlapping matches are reported, so a needle inside or across another
    needle's match is never hidden: the result is exactly the set of needles that occur.
    """

    def __init__(self, needles: Iterable[str]) -> None:
        self._needles = tuple(dict.fromkeys(needles))
        self._automaton = AhoCorasick(list(self._needles))

    def present(self, text: str) -> frozenset[str]:
        """The needles that occur in the text."""
        try:
            return frozenset(self._automaton.find_matches_as_strings(text, overlapping=True))
        except UnicodeEncodeError:
            # The automaton reads UTF-8, which a lone surrogate (possible in a str body, never
            # in decoded bytes) cannot be: such a text is searched needle by needle.
            return frozenset(needle for needle in self._needles if needle in text)


def any_in(text: str, needles: Iterable[str]) -> bool:
    """True when one of the needles occurs: best for few needles that usually occur early."""
    return any(needle in text for needle in needles)
