"""CON-001: two different targets for the same metric (RUBRIC.md section 5)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from bot.spec import _lexicon as lx
from bot.spec._document import Document
from bot.spec._findings import Hit
from bot.spec._model import SectionKind

# "Not after a word" is checked by a look-behind placed after the first character (it then
# also spans that character): the same matches, but every alternative starts with a character
# the regex engine can test at once, instead of a look-behind tried at every position.
_PERCENTILE = re.compile(
    r"p(?<!\wp)(50|75|90|95|99|999)(?!\w)|(\d(?<!\w\d)\d)(?:st|nd|rd|th)\s+percentile"
    r"|percentil\s+(\d{2})"
)
_DURATION = re.compile(
    r"(\d(?<![\w.,]\d)\d*(?:[.,]\d+)*)\s?(ms|msec|milliseconds?|s|secs?|seconds?|mins?"
    r"|minutes?|segundos?|minutos?)(?!\w)"
)
_TO_MS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "min": 60000.0,
          "mins": 60000.0, "minute": 60000.0, "minutes": 60000.0, "minuto": 60000.0,
          "minutos": 60000.0}  # fmt: skip
_QUALIFIERS = frozenset({"desktop", "mobile", "3g", "4g", "cold", "warm", "cached", "uncached"})
_PER_PAGE = re.compile(r"per\s+page|page\s+size|por\s+pagina|tamano\s+de\s+pagina")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?![\w.,]?\d)")
_MAXIMUM = ("up to", "at most", "maximum", "max ", "no more than", "como maximo", "hasta")
_MINIMUM = ("at least", "minimum", "min ", "al menos", "como minimo")
# Words that say nothing about which metric a sentence is about.
_FUNCTION_WORDS = lx.word_set(
    "the a an is are be been in on at of for to with within under below than less more must "
    "should shall will and or by from as its it this that these those when while each every "
    "latency percentile time p50 p75 p90 p95 p99 p999 ms msec milliseconds second seconds "
    "secs sec min mins minute minutes target at most most least no not over up el la los las "
    "de del en que con por debe menos mas"
)


_NOT_TOPIC = _FUNCTION_WORDS | {"xcodex"}  # and the word inline code is masked to


def _topic_words(tokens: Sequence[str]) -> frozenset[str]:
    """Words of more than two letters that say what a sentence is about."""
    return frozenset([t for t in tokens if len(t) > 2 and t not in _NOT_TOPIC and t.isalpha()])


class Target(NamedTuple):
    """One stated target: metric key, value (ms or count), line, and the sentence's topic words."""

    key: tuple[str, ...]
    value: float
    line: int
    in_performance: bool
    topic: frozenset[str]


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _duration_ms(number: str, unit: str) -> float:
    # "1,000 ms" is a thousand; "0,2 s" is a decimal comma.
    plain = number.replace(",", "") if _THOUSANDS.fullmatch(number) else number.replace(",", ".")
    value = float(plain)
    if unit in _TO_MS:
        return value * _TO_MS[unit]
    return value * 1000.0  # s, sec, secs, second(s), segundo(s)


def _latency_targets(folded: str, tokens: Sequence[str]) -> list[tuple[tuple[str, ...], float]]:
    durations = [
        (m.start(), _duration_ms(m.group(1), m.group(2))) for m in _DURATION.finditer(folded)
    ]
    if not durations:
        return []
    qualifiers = tuple(sorted(_QUALIFIERS.intersection(tokens)))
    found = []
    for match in _PERCENTILE.finditer(folded):
        percentile = next(group for group in match.groups() if group)
        nearest = min(durations, key=lambda item: (abs(item[0] - match.start()), item[0]))
        found.append((("latency", "p" + percentile, *qualifiers), nearest[1]))
    return found


def _per_page_targets(folded: str) -> list[tuple[tuple[str, ...], float]]:
    match = _PER_PAGE.search(folded)
    if not match:
        return []
    numbers = [(m.start(), float(m.group(0))) for m in _NUMBER.finditer(folded)]
    if not numbers:
        return []
    nearest = min(numbers, key=lambda item: (abs(item[0] - match.start()), item[0]))
    kind = "default"
    if any(word in folded for word in _MAXIMUM):
        kind = "max"
    elif any(word in folded for word in _MINIMUM):
        kind = "min"
    return [(("per-page", kind), nearest[1])]


def _targets(doc: Document) -> list[Target]:
    targets: list[Target] = []
    for line in doc.content():
        if line.cls not in ("R", "C") or ("pct" not in line.m_kinds and "pag" not in line.folded):
            continue
        in_performance = doc.section_of(line).kind is SectionKind.PERFORMANCE
        for sentence in line.sentences:
            if lx.BASELINE in sentence.hits:
                continue
            stated = []
            tokens = None  # computed on demand, and once: tokenizing is most of this loop
            if "pct" in sentence.m_kinds:
                tokens = sentence.tokens
                stated += _latency_targets(sentence.folded, tokens)
            if "pag" in sentence.folded:
                stated += _per_page_targets(sentence.folded)
            if not stated:
                continue
            if tokens is None:
                tokens = sentence.tokens
            topic = _topic_words(tokens)
            for key, value in stated:
                targets.append(Target(key, value, line.number, in_performance, topic))
    return targets


def check_conflicts(doc: Document) -> list[Hit]:
    """CON-001 for every metric whose reference states exactly one value."""
    by_key: dict[tuple[str, ...], list[Target]] = {}
    for target in _targets(doc):
        by_key.setdefault(target.key, []).append(target)
    hits: list[Hit] = []
    for targets in by_key.values():
        reference = [t for t in targets if t.in_performance] or targets[:1]
        if len({t.value for t in reference}) != 1:
            continue  # enumerated targets: several values on purpose
        value = reference[0].value
        topic = frozenset().union(*(t.topic for t in reference))
        in_reference = {id(t) for t in reference}
        for target in targets:
            if id(target) in in_reference or abs(target.value - value) < 1e-9:
                continue
            # Only a sentence about the same thing can contradict the reference.
            if topic and target.topic and topic.isdisjoint(target.topic):
                continue
            hits.append(Hit("CON-001", target.line))
    return hits
