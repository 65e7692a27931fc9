"""P4, error handling: ERR-001 to ERR-005."""

from __future__ import annotations

from bot.spec import _lexicon as lx
from bot.spec._document import Document
from bot.spec._findings import Hit
from bot.spec._sentences import Sentence

_RESPONSE_KINDS = frozenset({"http", "quote"})
_BOUNDING_KINDS = frozenset({"unit", "cmp"})


def is_failure_sentence(sentence: Sentence) -> bool:
    """RUBRIC 4 F: a failure term and a response term, and not a vague 'handle it gracefully'."""
    if lx.T not in sentence.hits:
        return False
    if lx.RV not in sentence.hits and _RESPONSE_KINDS.isdisjoint(sentence.m_kinds):
        return False
    return not (sentence.vague and not sentence.measurable)


def check_errors(doc: Document) -> list[Hit]:
    """Failure modes, what users see, retries, timeouts and what must not be lost."""
    hits: list[Hit] = []
    content = doc.content()
    requirement = [line for line in content if line.cls in ("R", "C")]
    failures = [
        s
        for line in requirement
        if lx.T in line.hits
        for s in line.sentences
        if is_failure_sentence(s)
    ]
    if not failures:
        hits.append(Hit("ERR-001", 0))
    elif not any(lx.U in s.hits or not _RESPONSE_KINDS.isdisjoint(s.m_kinds) for s in failures):
        hits.append(Hit("ERR-002", 0))
    mentioned = frozenset().union(*[line.hits for line in content])
    external = next((line.number for line in requirement if lx.EXTERNAL in line.hits), None)
    if external is not None and lx.RETRY_POLICY not in mentioned:
        hits.append(Hit("ERR-003", external))
    mutation = next((line.number for line in content if lx.MUTATION in line.hits), None)
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
