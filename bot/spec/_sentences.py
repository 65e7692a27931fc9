"""Sentences of the content lines and their signals, computed in a few passes over all text.

Every sentence of the body is joined into one text, so figures, quotes, routes and inline code
are found by one regex pass each instead of several passes per sentence. Each line also gets
the union of its sentences' signals, so rules that ask "does this line (or any line) mention
X" read one set instead of looping over sentences.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, islice

from bot.spec import _lexicon as lx
from bot.spec._signals import mask_inline_code, mask_quotes, measurable_positions, split_sentences


@dataclass(slots=True)
class Sentence:
    """One sentence: its folded text, lexicon hits and measurable tokens."""

    folded: str
    masked: str  # folded, inline code replaced (RUBRIC 2.5): what lexicons are matched on
    hits: frozenset[str]
    vague: bool
    m_kinds: frozenset[str]

    @property
    def measurable(self) -> bool:
        """True when the sentence holds any M token."""
        return bool(self.m_kinds)

    @property
    def tokens(self) -> list[str]:
        """Word tokens of the masked text (computed on demand: few rules need positions)."""
        return lx.tokenize(self.masked)


NO_SIGNALS: frozenset[str] = frozenset()
# The sentences of one line and the union of their lexicon hits and M kinds.
LineSignals = tuple[Sequence[Sentence], frozenset[str], frozenset[str]]
_NO_LINE_SIGNALS: LineSignals = ((), NO_SIGNALS, NO_SIGNALS)

# Equal sets are shared: a 1 MB body has tens of thousands of sentences but only a few
# hundred distinct hit sets, and fewer live containers keep the garbage collector's passes short.
_SHARED_SETS: dict[frozenset[str], frozenset[str]] = {}


def _shared(value: frozenset[str]) -> frozenset[str]:
    if len(_SHARED_SETS) > 4096:
        _SHARED_SETS.clear()
    return _SHARED_SETS.setdefault(value, value)


def line_signals(folded_lines: Sequence[str]) -> list[LineSignals]:
    """Sentences and signals of each folded content line, in the same order."""
    parts: list[str] = []
    counts: list[int] = []
    for folded in folded_lines:
        split = split_sentences(folded)
        parts += split
        counts.append(len(split))
    sentences = iter(_sentences(parts))
    result: list[LineSignals] = []
    for count in counts:
        if count == 1:  # most lines: the line's signals are its sentence's
            sentence = next(sentences)
            result.append(((sentence,), sentence.hits, sentence.m_kinds))
        elif count == 0:
            result.append(_NO_LINE_SIGNALS)
        else:
            own = tuple(islice(sentences, count))
            hits = _shared(frozenset().union(*[s.hits for s in own]))
            kinds = _shared(frozenset().union(*[s.m_kinds for s in own]))
            result.append((own, hits, kinds))
    return result


def _sentences(parts: list[str]) -> list[Sentence]:
    """Every sentence's signals: M tokens by whole-text scans, lexicons by word tokens."""
    if not parts:
        return []
    joined = "\n".join(parts)
    starts = list(accumulate((len(part) + 1 for part in parts[:-1]), initial=0))
    kinds: dict[int, set[str]] = {}
    for position, kind in measurable_positions(joined):
        kinds.setdefault(bisect_right(starts, position) - 1, set()).add(kind)
    masked_text = mask_inline_code(joined)
    # Without inline code the masked sentences are the sentences: no second copy of the text.
    masked = parts if masked_text is joined else masked_text.split("\n")
    sentences: list[Sentence] = []
    add, hits_of, tokenize, vague_name = sentences.append, lx.lexicon_hits, lx.tokenize, lx.V
    for index, (part, masked_part) in enumerate(zip(parts, masked, strict=True)):
        hits = hits_of(tokenize(masked_part))  # shared sets, but for rare multi-word unions
        vague = vague_name in hits
        if vague and ('"' in part or "“" in part or "«" in part):
            vague = vague_name in hits_of(tokenize(mask_quotes(masked_part)))
        found = _shared(frozenset(kinds[index])) if index in kinds else NO_SIGNALS
        add(Sentence(part, masked_part, hits, vague, found))
    return sentences
