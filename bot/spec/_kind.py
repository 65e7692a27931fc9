"""The kind of a spec (RUBRIC.md v0.2 section 0.1): feature, bug, performance or chore.

Rigour follows the kind: a bug report with a reproduction and an expected result, or a
performance report with figures before and after, already holds its acceptance criteria.
The kind is stated in the issue form (a ``Kind`` field) or inferred from the text.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.spec import _lexicon as lx
from bot.spec._anchors import is_anchored, is_command_or_request
from bot.spec._document import Document, Line
from bot.spec._model import SectionKind
from bot.spec._sentences import Sentence
from bot.spec._signals import measurable_positions

Kind = Literal["feature", "bug", "performance", "chore"]
KINDS: tuple[Kind, ...] = ("feature", "bug", "performance", "chore")

_KIND_LABELS = frozenset({"kind", "type", "issue type", "kind of change", "spec kind", "tipo"})
_DECLARED: dict[str, Kind] = {
    "feature": "feature", "enhancement": "feature", "feature request": "feature",
    "bug": "bug", "bug report": "bug", "defect": "bug", "fix": "bug",
    "performance": "performance", "perf": "performance", "performance regression": "performance",
    "chore": "chore", "refactor": "chore", "maintenance": "chore", "cleanup": "chore",
}  # fmt: skip
_KEY_LINE = re.compile(r"(?:kind|type|issue type)\s*:\s*(.+)")
_BUG_HEADINGS = (
    "bug", "reproduc", "actual behav", "actual result", "observed", "expected", "steps to",
    "comportamiento esperado", "resultado esperado",
)  # fmt: skip
_REPRO_HEADINGS = ("reproduc", "steps", "example")
_ERROR_LINE = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)|\w+(?:Error|Exception):)|\w(?:Error|Exception): ",
    re.M,
)
_TIMED = frozenset({"dur", "pct"})
_STATUSES = frozenset({"http", "exit"})


def _declared(doc: Document) -> Kind | None:
    """A kind stated in the issue form (``### Kind`` then ``bug``) or a ``Kind: bug`` line."""
    for line in doc.classified:
        value = ""  # most lines: neither a Kind field nor a "Kind:" line
        if line.heading in _KIND_LABELS:
            value = line.folded
        elif line.folded.startswith(("kind", "type", "issue type")):
            match = _KEY_LINE.match(line.folded)
            value = match.group(1) if match else ""
        kind = _DECLARED.get(value.strip(" *_`.:"))
        if kind is not None:
            return kind
    return None


def _fenced(doc: Document) -> bool:
    return any(fence.body.strip() for fence in doc.norm.fences)


def _is_bug(doc: Document) -> bool:
    if any(cue in heading for heading in _headings(doc) for cue in _BUG_HEADINGS):
        return True
    for line in doc.classified:
        if lx.BUG_CUE in line.hits or lx.DEFECT_CUE in line.hits:
            return True
        if ("Error:" in line.text or "Exception:" in line.text) and _ERROR_LINE.search(
            line.text.replace("`", "")
        ):
            return True  # an error message quoted from the run
        if _today_versus_wanted(line):
            return True
    return any(_ERROR_LINE.search(fence.body) for fence in doc.norm.fences)


def _today_versus_wanted(line: Line) -> bool:
    """ "currently returns 500; it should return 404": today's result and the wanted one."""
    if lx.BASELINE not in line.hits or lx.EXPECT_CUE not in line.hits:
        return False
    if not _STATUSES.isdisjoint(line.m_kinds):
        return True
    return any(
        lx.BASELINE in s.hits and lx.EXPECT_CUE in s.hits and s.measurable for s in line.sentences
    )


def _is_performance(doc: Document) -> bool:
    """Figures before and after: a sentence with a change cue and two timed figures."""
    for line in doc.classified:
        if lx.PERF_CHANGE not in line.hits or line.m_kinds.isdisjoint(_TIMED):
            continue
        for sentence in line.sentences:
            if lx.PERF_CHANGE not in sentence.hits:
                continue
            timed = [k for _, k in measurable_positions(sentence.folded) if k in _TIMED]
            if len(timed) >= 2:
                return True
    return False


def _headings(doc: Document) -> set[str]:
    return {section.title.lower() for section in doc.sections if not section.empty}


def _reproduction(doc: Document) -> tuple[bool, bool]:
    """(a reproduction is given, it holds exact text or figures)."""
    found = measurable = False
    if _fenced(doc):
        return True, True
    for line in doc.classified:
        in_repro = any(cue in line.heading for cue in _REPRO_HEADINGS)
        exact = "exc" in line.m_kinds or is_command_or_request(line.text)
        if in_repro or exact or line.cls == "X" and bool(line.m_kinds):
            found = found or in_repro or exact
            measurable = measurable or bool(line.m_kinds) or exact
        if found and measurable:
            break  # a long body decides within its first lines
    return found, measurable and found


def _expected(doc: Document) -> bool:
    if doc.has_section(SectionKind.RESULTS, SectionKind.ACCEPTANCE):
        return True
    # A report that labels its reproduction ("Reproducer:", "To reproduce") shows what is wrong.
    if any("reproduc" in heading for heading in _headings(doc)):
        return True
    for line in doc.classified:
        if "reproduc" in line.folded:
            return True
        if lx.EXPECT_CUE not in line.hits and lx.DEFECT_CUE not in line.hits:
            continue
        # "It should be better" is no expected result: a vague wish states nothing to check.
        if any(_states_expectation(s) for s in line.sentences):
            return True
    return False


def _states_expectation(sentence: Sentence) -> bool:
    """An expected-result or defect sentence that is not a vague wish."""
    if lx.EXPECT_CUE not in sentence.hits and lx.DEFECT_CUE not in sentence.hits:
        return False
    if not sentence.vague or sentence.measurable:
        return True
    # "It may be better if we tell the user ...": "better if" proposes, it is not a vague goal.
    plain = sentence.masked.replace("better if", "if")
    return plain != sentence.masked and lx.V not in lx.lexicon_hits(lx.tokenize(plain))


def judge(doc: Document) -> None:
    """Decide the kind, whether the body reports its own criteria, and whether it is anchored."""
    doc.anchored = is_anchored(doc.norm)
    declared = _declared(doc)
    figures = _is_performance(doc)
    no_change = any(lx.NO_CHANGE in line.hits for line in doc.classified)
    if declared == "chore" and not (
        no_change or any(lx.CHORE_CUE in line.hits for line in doc.classified)
    ):
        # Declaring a chore lowers the bar; a body with no chore in it cannot claim it.
        declared = None
    if declared is not None:
        kind: Kind = declared
    elif no_change:
        kind = "chore"
    elif figures:
        kind = "performance"
    elif _is_bug(doc):
        kind = "bug"
    else:
        kind = "feature"
    doc.kind = kind
    if kind == "performance":
        doc.reported = doc.reported_measurable = figures
    elif kind == "bug":
        found, measurable = _reproduction(doc)
        doc.reported = found and _expected(doc)
        doc.reported_measurable = doc.reported and measurable
