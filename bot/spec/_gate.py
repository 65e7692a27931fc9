"""The gate: run every rule on one body, apply the configuration, score and decide."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable

from bot.spec._catalog import RULES
from bot.spec._config import GateConfig
from bot.spec._document import Document, analyse
from bot.spec._findings import Hit
from bot.spec._kind import judge
from bot.spec._model import (
    EXCERPT_MAX,
    PRINCIPLES,
    Finding,
    FindingId,
    Principle,
    Severity,
    SpecKind,
    Verdict,
)
from bot.spec._rules_completeness import check_completeness, check_implementation
from bot.spec._rules_conflicts import check_conflicts
from bot.spec._rules_context import check_context
from bot.spec._rules_criteria import check_criteria
from bot.spec._rules_errors import check_errors
from bot.spec._rules_structure import check_security, check_structure

# A 1 MB body can repeat one mistake on thousands of lines; past this many lines per id the
# score is already at its floor and no reader needs more, so the rest are not listed.
MAX_FINDINGS_PER_ID = 100
ERROR_PENALTY = 35
WARN_PENALTY = 10
# RUBRIC v0.2 section 0.1: what each kind needs. A bug report or a performance report need not
# describe failure handling; a chore is blocked only by a missing requirement or location,
# structure and security (every id not listed here as blocking is reported as a warning).
_CHORE_BLOCKS: frozenset[str] = frozenset(
    {"CMP-001", "CTX-001", "STR-001", "STR-002", "STR-003", "SEC-001"}
)
_KIND_WARNS: dict[SpecKind, frozenset[str]] = {
    "bug": frozenset({"ERR-001"}),
    "performance": frozenset({"ERR-001"}),
}

_CHECKS: tuple[Callable[[Document], list[Hit]], ...] = (
    check_structure,
    check_security,
    check_completeness,
    check_implementation,
    check_context,
    check_criteria,
    check_conflicts,
    check_errors,
)


def lint(body: str | bytes | None, config: GateConfig | None = None) -> Verdict:
    """Judge one issue body against the rubric: findings, scores and readiness."""
    # The analysis creates tens of thousands of small objects for a long body and no reference
    # cycles, so the cyclic collector's passes over them find nothing to free; they cost a
    # tenth of the time and grow faster than the body. It is paused for this call only. The
    # switch is process-wide: a call that finds it already paused (another thread's lint, or
    # the caller's choice) leaves it alone, and a paused collector only delays collection.
    pausing = gc.isenabled()  # False: already paused by someone else, who re-enables it
    if pausing:
        gc.disable()
    try:
        return _lint(body, config or GateConfig())
    finally:
        if pausing:
            gc.enable()


def _lint(body: str | bytes | None, config: GateConfig) -> Verdict:
    doc = analyse(body)
    if doc.norm.empty_body:
        return _verdict([_finding(Hit("STR-001", 0), doc, config)], config, empty=True)
    judge(doc)
    hits: dict[tuple[FindingId, int], Hit] = {}
    for check in _CHECKS:
        for hit in check(doc):
            hits.setdefault((hit.id, hit.line), hit)
    disabled = set(config.disable)
    findings = [_finding(hit, doc, config) for hit in hits.values() if hit.id not in disabled]
    kind: SpecKind = doc.kind  # type: ignore[assignment]  # set by judge from SpecKind values
    return _verdict(findings, config, empty=False, kind=kind)


def _severity(hit: Hit, config: GateConfig, kind: str) -> Severity:
    """The configuration first, then the rule's own judgement, then what the kind needs."""
    if hit.id in config.promote:
        return "error"
    if hit.id in config.demote:
        return "warn"
    severity = hit.severity or RULES[hit.id].severity
    if severity != "error":
        return severity
    if kind == "chore" and hit.id not in _CHORE_BLOCKS:
        return "warn"
    if hit.id in _KIND_WARNS.get(kind, frozenset()):  # type: ignore[call-overload]
        return "warn"
    return severity


# C0/C1 control characters (escape sequences could drive a terminal) become U+FFFD.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def excerpt(text: str) -> str:
    """One line of the body, control characters replaced, trimmed to the excerpt limit."""
    flat = " ".join(_CONTROL.sub("\ufffd", text).split())
    return flat if len(flat) <= EXCERPT_MAX else flat[: EXCERPT_MAX - 1] + "…"


def _finding(hit: Hit, doc: Document, config: GateConfig) -> Finding:
    rule = RULES[hit.id]
    line_text = doc.norm.raw_lines[hit.line - 1] if 0 < hit.line <= len(doc.norm.raw_lines) else ""
    return Finding.model_construct(
        id=hit.id,
        severity=_severity(hit, config, doc.kind),
        principle=rule.principle,
        line=hit.line,
        excerpt=excerpt(line_text),
        message=rule.message,
        fix=rule.fix,
    )


def principle_score(findings: list[Finding], principle: Principle) -> int:
    """max(0, 100 - 35 per error - 10 per warning) over the principle's findings."""
    errors = sum(1 for f in findings if f.principle == principle and f.severity == "error")
    warns = sum(1 for f in findings if f.principle == principle and f.severity == "warn")
    return max(0, 100 - ERROR_PENALTY * errors - WARN_PENALTY * warns)


def _verdict(
    findings: list[Finding], config: GateConfig, *, empty: bool, kind: SpecKind = "feature"
) -> Verdict:
    findings.sort(key=Finding.sort_key)
    scores: dict[Principle, int] = {
        p: 0 if empty else principle_score(findings, p) for p in PRINCIPLES
    }
    # Mean of the four principles, rounded half up: each principle weighs the same.
    score = (sum(scores.values()) * 2 + len(scores)) // (2 * len(scores))
    failures = []
    if score < config.min_score:
        failures.append(f"score {score} is below the configured minimum {config.min_score}")
    for principle, minimum in sorted(config.min_principle_scores.items()):
        if scores[principle] < minimum:
            failures.append(
                f"{principle} score {scores[principle]} is below the configured minimum {minimum}"
            )
    listed = _cap_per_id(findings)
    ready = not any(f.severity == "error" for f in findings) and not failures
    return Verdict(
        ready=ready,
        score=score,
        scores=scores,
        findings=tuple(listed),
        threshold_failures=tuple(failures),
        kind=kind,
    )


def _cap_per_id(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, int] = {}
    kept = []
    for finding in findings:
        seen[finding.id] = seen.get(finding.id, 0) + 1
        if seen[finding.id] <= MAX_FINDINGS_PER_ID:
            kept.append(finding)
    return kept
