"""P1, completeness without implementation: CMP-001 to CMP-006 and IMP-001 to IMP-003."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.spec import _lexicon as lx
from bot.spec._document import Document, Line
from bot.spec._findings import Hit
from bot.spec._model import SectionKind
from bot.spec._textscan import Needles, Scanner

K = SectionKind

_CONSTRUCT_NEEDLES = Needles((
    "loop", "recurs", "map", "dictionar", "dict", "linked", "global", "singleton", "function",
    "method", "class", "variable", "catch", "switch", "settimeout", "setinterval", "useeffect",
    "usestate",
))  # fmt: skip
# IMP-001 on folded text outside code fences (inline code kept, backticks stripped). Each
# alternative starts with a literal word; the scanner checks the word boundary.
_CONSTRUCT = re.compile(
    r"(?:for|while|foreach|for-each|do-while)[ -]loops?\b"
    r"|use\s+recursion\b|recursive(?:ly)?\s+(?:function|call|method)s?\b"
    r"|(?:use|using|store|stored|keep|kept|put|hold)\s+(?:\w+\s+){0,3}?(?:in\s+)?(?:an?\s+)?"
    r"(?:hash\s?maps?|hashmaps?|hash\s+tables?|dictionar(?:y|ies)|linked\s+lists?"
    r"|global\s+variables?|singletons?)\b"
    r"|(?:create|add|write|define|introduce|make)\s+(?:a|an|the|one)\s+(?:(?:new|helper|"
    r"private|static|separate|utility)\s+)?(?:helper\s+)?(?:function|method|class|variable)s?\b"
    r"|try\s*[/-]\s*catch\b|try\s+(?:and\s+)?catch\b|switch\s+statements?\b"
    r"|(?:settimeout|setinterval|useeffect|usestate)\b"
)
_CODE_TAGS = lx.word_set(
    "js javascript ts typescript jsx tsx python py go golang java kotlin kt ruby rb rust rs "
    "c# csharp cs php swift"
)
_TIMED = frozenset({"dur", "pct"})
_CODE_MARKERS = ("function ", "def ", "class ", "=>", "func ", "public ", "void ")


def check_completeness(doc: Document) -> list[Hit]:
    """CMP-001 to CMP-006."""
    hits: list[Hit] = []
    content = doc.content()
    requirement_lines = [line for line in content if line.cls in ("R", "C")]
    has_criterion = any(line.cls == "C" for line in content)
    stated = doc.has_section(K.REQUIREMENT, K.BEHAVIOR) or has_criterion or doc.reported
    if not stated and not any(_is_modal_statement(line) for line in requirement_lines):
        hits.append(Hit("CMP-001", 0))
    if not doc.has_section(K.INPUT) and _first_cue(content, lx.INPUT_CUE) is None:
        hits.append(Hit("CMP-002", 0))
    if not doc.has_section(K.SCOPE) and _first_cue(content, lx.SCOPE_CUE) is None:
        hits.append(Hit("CMP-003", 0))
    if not doc.has_section(K.RESULTS, K.ACCEPTANCE) and _first_cue(content, lx.OUTPUT_CUE) is None:
        hits.append(Hit("CMP-004", 0))
    collection = _first_cue(content, lx.COLLECTION_CUE)
    has_empty_state = doc.has_section(K.EMPTY_STATE) or _first_cue(content, lx.EMPTY_CUE)
    if collection is not None and not has_empty_state:
        hits.append(Hit("CMP-005", collection))
    if all(line.m_kinds.isdisjoint(_TIMED) for line in requirement_lines):
        hits.append(Hit("CMP-006", 0))
    return hits


def _first_cue(lines: list[Line], lexicon: str) -> int | None:
    for line in lines:
        if lexicon in line.hits:
            return line.number
    return None


def _is_modal_statement(line: Line) -> bool:
    if lx.MODAL not in line.hits:
        return False
    for sentence in line.sentences:
        if lx.MODAL not in sentence.hits:
            continue
        for start, length, name in lx.match_positions(sentence.tokens):
            if name == lx.MODAL and start + length < len(sentence.tokens):
                return True
    return False


def check_implementation(doc: Document) -> list[Hit]:
    """IMP-001 to IMP-003."""
    hits: list[Hit] = []
    in_fence = doc.norm.in_fence
    texts = [
        "" if in_fence[i] else text.replace("`", "") if "`" in text else text
        for i, text in enumerate(doc.folded_lines)
    ]
    scanner = Scanner(texts)
    if _CONSTRUCT_NEEDLES.present(scanner.text):
        hits.extend(Hit("IMP-001", n) for n in scanner.lines_matching(_CONSTRUCT, word_start=True))
    for line in doc.content():
        if (
            line.cls in ("R", "C")
            and lx.TECH in line.hits
            and any(lx.TECH in s.hits and _prescribes_technology(s.tokens) for s in line.sentences)
        ):
            hits.append(Hit("IMP-002", line.number))
    for fence in doc.norm.fences:
        if fence.tag in _CODE_TAGS and any(marker in fence.body for marker in _CODE_MARKERS):
            hits.append(Hit("IMP-003", fence.open_line))
    return hits


def _prescribes_technology(tokens: Sequence[str]) -> bool:
    """A technology named within 3 tokens after use/switch to/add..., and not negated."""
    found = lx.match_positions(tokens)
    techs = [start for start, _, name in found if name == lx.TECH]
    if not techs:
        return False
    verbs = [(start, start + length) for start, length, name in found if name == lx.TECH_VERB]
    negations = [start for start, _, name in found if name == lx.NEGATION]
    for tech in techs:
        for verb_start, verb_end in verbs:
            negated = any(verb_start - 3 <= neg < verb_start for neg in negations)
            if verb_end <= tech <= verb_end + 3 and not negated:
                return True
    return False
