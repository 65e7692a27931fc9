"""P4, error handling: ERR-001 to ERR-005."""

from __future__ import annotations

from bot.spec import _lexicon as lx
from bot.spec._document import Document, Line
from bot.spec._findings import Hit
from bot.spec._model import SectionKind
from bot.spec._sentences import Sentence

_RESPONSE_KINDS = frozenset({"http", "quote", "exit", "exc"})
_BOUNDING_KINDS = frozenset({"unit", "cmp"})
_CONDITIONS = frozenset({"if", "when", "whenever", "while", "cuando", "si"})
_EARS_RESPONSE = frozenset({"shall", "then", "must", "should", "will", "debe"})
# "Add `parse_quantity`", "create a function": sentences about changing code, not data.
_CODE_OBJECTS = frozenset(
    {"xcodex", "function", "method", "class", "module", "flag", "option", "test", "tests",
     "command", "parameter", "argument", "support", "docs", "documentation", "check", "rule"}
)  # fmt: skip


def is_failure_sentence(sentence: Sentence) -> bool:
    """RUBRIC 4 F (v0.2): a failure paired with the system's response, not 'handle it well'."""
    if sentence.vague and not sentence.measurable:
        return False
    hits = sentence.hits
    if lx.T in hits and lx.GUARD in hits:
        return True  # "only overwrite the file if no errors occur", "unless the upload fails"
    responds = lx.RV in hits or not _RESPONSE_KINDS.isdisjoint(sentence.m_kinds)
    if lx.T in hits and responds:
        return True
    return _is_ears_failure(sentence, responds)


def _is_ears_failure(sentence: Sentence, responds: bool) -> bool:
    """WHEN/IF <bad input> ... SHALL/THEN <response>: a raise, a status, a message, a refusal."""
    if lx.BAD_INPUT not in sentence.hits:
        return False
    if not responds and lx.RESPONSE not in sentence.hits:
        return False
    tokens = sentence.tokens
    start = 0
    while start < len(tokens) and tokens[start].isdigit():
        start += 1  # a numbered criterion: "1. WHEN ..."
    if start >= len(tokens) or tokens[start] not in _CONDITIONS:
        return False
    return not _EARS_RESPONSE.isdisjoint(tokens)


def _has_failure_surface(doc: Document, requirement: list[Line]) -> bool:
    """Something that can fail: an input, an external call, stored data or a named failure."""
    if doc.has_section(SectionKind.INPUT, SectionKind.ERROR_HANDLING, SectionKind.EDGE_CASES):
        return True
    for line in requirement:
        if "out of scope" in line.heading or "non-goal" in line.heading:
            continue
        if not {lx.SURFACE, lx.EXTERNAL, lx.T}.isdisjoint(line.hits):
            return True
    return False


def check_errors(doc: Document) -> list[Hit]:
    """Failure modes, what users see, retries, timeouts and what must not be lost."""
    hits: list[Hit] = []
    content = doc.content()
    requirement = [line for line in content if line.cls in ("R", "C")]
    failures = [
        s
        for line in requirement
        if lx.T in line.hits or lx.BAD_INPUT in line.hits
        for s in line.sentences
        if is_failure_sentence(s)
    ]
    if not failures:
        # A spec with nothing that can fail (an output format, a rename) needs no failure
        # handling to be built: reported, but it does not block (RUBRIC v0.2 section 0).
        blocking = _has_failure_surface(doc, requirement)
        hits.append(Hit("ERR-001", 0, None if blocking else "warn"))
    elif not any(lx.U in s.hits or not _RESPONSE_KINDS.isdisjoint(s.m_kinds) for s in failures):
        hits.append(Hit("ERR-002", 0))
    mentioned = frozenset().union(*[line.hits for line in content])
    external = next((line.number for line in requirement if lx.EXTERNAL in line.hits), None)
    if external is not None and lx.RETRY_POLICY not in mentioned:
        hits.append(Hit("ERR-003", external))
    mutation = next((line.number for line in requirement if _mutates_data(line)), None)
    if mutation is not None and lx.PRESERVE not in mentioned:
        hits.append(Hit("ERR-004", mutation))
    for line in content:
        if lx.RETRY not in line.hits or lx.UNBOUNDED not in line.hits:
            continue
        for sentence in line.sentences:
            unbounded = lx.RETRY in sentence.hits and lx.UNBOUNDED in sentence.hits
            if unbounded and _BOUNDING_KINDS.isdisjoint(sentence.m_kinds):
                hits.append(Hit("ERR-005", line.number))
                break
    return hits


def _mutates_data(line: Line) -> bool:
    """RUBRIC v0.2 0.7: a mutation cue about stored data, not about adding code."""
    if lx.MUTATION not in line.hits:
        return False
    for sentence in line.sentences:
        if lx.MUTATION not in sentence.hits:
            continue
        tokens = sentence.tokens
        for start, length, name in lx.match_positions(tokens):
            if name != lx.MUTATION:
                continue
            following = tokens[start + length : start + length + 4]
            if _CODE_OBJECTS.isdisjoint(following):
                return True
    return False
