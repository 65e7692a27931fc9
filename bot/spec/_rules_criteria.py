"""P3, measurable acceptance criteria: ACC-001 to ACC-007."""

from __future__ import annotations

import re

from bot.spec import _lexicon as lx
from bot.spec._document import Document
from bot.spec._findings import Hit
from bot.spec._model import Severity
from bot.spec._textscan import Scanner, any_in

# One pattern per leading word, whose literal start lets the regex engine jump to candidates
# (an alternation of words is tried at every character); the scanner checks the word
# boundary. No match of one can contain the leading word of another, so the lines they match
# together are the lines one alternation would match.
_ABSOLUTE = tuple(
    re.compile(pattern)
    for pattern in (
        r"100\s?%\s*(?:of\s+the\s+time|uptime|availability|available|reliability|reliable"
        r"|accuracy|accurate)",
        r"zero\s+(?:downtime|errors|bugs)\b",
        r"no\s+(?:downtime|errors|bugs)\b",
        r"never\s+(?:fails?|crash(?:es)?|goes\s+down)\b",
        r"always\s+(?:available|up|online|works?)\b",
        r"sin\s+(?:caidas|errores)\b",
        r"cero\s+(?:caidas|errores)\b",
        r"nunca\s+falla\b",
        r"siempre\s+disponible\b",
    )
)
_ABSOLUTE_NEEDLES = ("100", "zero", "no ", "never", "always", "sin ", "cero", "nunca", "siempre")
_EARS_UPPER = frozenset({"WHEN", "WHILE", "IF", "WHERE"})
_HAS_EARS_UPPER = re.compile("WHEN|WHILE|IF|WHERE")
_BULLET = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)?[*_]*")


def check_criteria(doc: Document) -> list[Hit]:
    """Criteria present, measurable, precise and well-formed."""
    hits: list[Hit] = []
    content = doc.content()
    criteria = [line for line in content if line.cls == "C"]
    measured = any(line.m_kinds for line in criteria)
    # RUBRIC v0.2: a bug's reproduction and expected result are its criteria.
    if not criteria and not doc.reported:
        hits.append(Hit("ACC-001", 0))
    elif criteria and not measured and not doc.reported_measurable:
        hits.append(Hit("ACC-004", 0))
    # A vague word blocks only when nothing in the spec makes it measurable (RUBRIC 0.5).
    vague_severity: Severity | None = "warn" if measured else None
    texts = [""] * doc.line_count
    for line in content:
        if line.cls in ("R", "C"):
            texts[line.number - 1] = line.folded
    scanner = Scanner(texts)
    absolute: set[int] = set()
    if any_in(scanner.text, _ABSOLUTE_NEEDLES):
        for pattern in _ABSOLUTE:
            absolute.update(scanner.lines_matching(pattern, word_start=True))
    for line in content:
        if line.cls not in ("R", "C"):
            continue
        if lx.V in line.hits and any(s.vague and not s.measurable for s in line.sentences):
            if line.cls == "C":
                hits.append(Hit("ACC-002", line.number, vague_severity))
            else:
                hits.append(Hit("ACC-003", line.number))
        if lx.ESCAPE in line.hits:
            hits.append(Hit("ACC-005", line.number))
        if line.number in absolute:
            hits.append(Hit("ACC-006", line.number))
        if _is_malformed_ears(line.text):
            hits.append(Hit("ACC-007", line.number))
    return hits


def _is_malformed_ears(text: str) -> bool:
    """An uppercase EARS keyword without SHALL/DEBE, or IF without THEN."""
    if not _HAS_EARS_UPPER.search(text):
        return False
    words = _BULLET.sub("", text, count=1).split(maxsplit=1)
    if not words or words[0].rstrip(",:") not in _EARS_UPPER:
        return False
    folded = set(lx.tokenize(lx.fold_text(text)))
    if folded.isdisjoint({"shall", "debe", "debera"}):
        return True
    return words[0].rstrip(",:") == "IF" and "then" not in folded
