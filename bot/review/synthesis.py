"""Merge the swarm's findings into one list: deduplicated, ranked, with a verdict (pure).

Reviewers work blind, so several of them often report the same problem. Two findings are the
same problem when they are on the same file, their lines are within a few lines of each other,
and they share a category or most of their wording; one reviewer's own findings merge only
when they say the same thing (two of its findings on nearby lines, such as two bandit rules, are
two problems). A merged finding names every reviewer that
reported it. Findings already posted in an earlier round
are recognised by a fingerprint that ignores line numbers (lines move between pushes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.diffs import quote_lines
from bot.review.findings import Finding, ReviewerReport, Severity

_NEARBY_LINES = 3
_SIMILAR_WORDING = 0.5
_WORD = re.compile(r"[a-z0-9_]+")


class ReviewEvent(StrEnum):
    """The event of the pull-request review specbot posts."""

    COMMENT = "COMMENT"
    REQUEST_CHANGES = "REQUEST_CHANGES"


class MergedFinding(BaseModel):
    """One problem, possibly reported by several reviewers; strongest severity kept."""

    model_config = ConfigDict(frozen=True)

    finding: Finding
    reviewers: tuple[str, ...]
    fingerprint: str


class ReviewPolicy(BaseModel):
    """When the swarm's review requests changes rather than only commenting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_changes_at: Severity = Severity.MAJOR
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def fingerprint(finding: Finding) -> str:
    """A line-independent identity of a finding, stable across review rounds.

    From the path, the category and the code it quotes (whitespace ignored), so the same
    problem reworded next round is the same finding; without a quote, the message's words.
    """
    code = _quoted(finding)
    what = f"code:{code}" if code else " ".join(sorted(_words(finding.message)))
    raw = f"{finding.path}\n{finding.kind}\n{what}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _span(finding: Finding) -> tuple[int, int]:
    end = finding.end_line if finding.end_line is not None else finding.line
    return min(finding.line, end), max(finding.line, end)


def _quoted(finding: Finding) -> str:
    return " ".join(" ".join(quote_lines(finding.quote)).split()) if finding.quote else ""


def is_same_problem(first: Finding, second: Finding) -> bool:
    """True when two findings describe one problem at one place.

    Findings of one kind on nearby lines, with similar words, or quoting the same code on the
    same lines (a reviewer's and an analyser's word for one line are one comment).
    """
    if first.path != second.path:
        return False
    (a_start, a_end), (b_start, b_end) = _span(first), _span(second)
    if a_start - _NEARBY_LINES > b_end or b_start - _NEARBY_LINES > a_end:
        return False
    if first.kind == second.kind:
        return True
    overlap = a_start <= b_end and b_start <= a_end
    if overlap and _quoted(first) and _quoted(first) == _quoted(second):
        return True
    a_words, b_words = _words(first.message), _words(second.message)
    union = a_words | b_words
    return bool(union) and len(a_words & b_words) / len(union) >= _SIMILAR_WORDING


def _stronger(first: Finding, second: Finding) -> Finding:
    """The stronger of two findings of one problem; another kind's words on the same quoted
    code are kept in it (the comment's header names every source; the fingerprint, from the
    quote, does not change)."""
    kept = min(first, second, key=lambda f: (f.severity.rank, -f.confidence, f.line))
    other = second if kept is first else first
    if not _quoted(kept) or other.kind == kept.kind or other.message in kept.message:
        return kept
    also = f"{kept.message}\n\nAlso ({other.kind}): {other.message}"
    return kept.model_copy(update={"message": also[:10_000]})


def _may_merge(kept: Finding, names: list[str], reviewer: str, finding: Finding) -> bool:
    """Same problem; from a reviewer already in the group only when it is a repeat."""
    if reviewer in names and fingerprint(kept) != fingerprint(finding):
        return False
    return is_same_problem(kept, finding)


def merge_findings(
    reports: Iterable[ReviewerReport], already_posted: Iterable[str] = ()
) -> list[MergedFinding]:
    """Deduplicate the reports' findings, drop those posted before, most important first."""
    posted = set(already_posted)
    groups: list[tuple[Finding, list[str]]] = []
    for report in reports:
        for finding in report.submission.findings:
            for index, (kept, names) in enumerate(groups):
                if _may_merge(kept, names, report.reviewer, finding):
                    if report.reviewer not in names:
                        names.append(report.reviewer)
                    groups[index] = (_stronger(kept, finding), names)
                    break
            else:
                groups.append((finding, [report.reviewer]))
    merged = [
        MergedFinding(finding=finding, reviewers=tuple(names), fingerprint=fingerprint(finding))
        for finding, names in groups
    ]
    fresh = [item for item in merged if item.fingerprint not in posted]
    return sorted(fresh, key=lambda m: (m.finding.severity.rank, m.finding.path, m.finding.line))


def decide(findings: Iterable[MergedFinding], policy: ReviewPolicy) -> ReviewEvent:
    """REQUEST_CHANGES when a confident finding reaches the policy's severity, else COMMENT."""
    for item in findings:
        finding = item.finding
        if (
            finding.severity.rank <= policy.request_changes_at.rank
            and finding.confidence >= policy.min_confidence
        ):
            return ReviewEvent.REQUEST_CHANGES
    return ReviewEvent.COMMENT
