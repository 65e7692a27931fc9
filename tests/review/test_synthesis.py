"""Merging the swarm's findings: deduplication, rounds, verdict."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.review import (
    Finding,
    ReviewerReport,
    ReviewEvent,
    ReviewPolicy,
    ReviewSubmission,
    Severity,
    decide,
    fingerprint,
    is_same_problem,
    merge_findings,
)


def _finding(**overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "path": "app/export.py",
        "line": 10,
        "end_line": None,
        "severity": "major",
        "category": "security",
        "message": "User input reaches the shell unescaped.",
        "suggestion": None,
        "confidence": 0.9,
    }
    fields.update(overrides)
    return Finding.model_validate(fields)


def _report(reviewer: str, *findings: Finding) -> ReviewerReport:
    return ReviewerReport(
        reviewer=reviewer, submission=ReviewSubmission(summary="Reviewed.", findings=list(findings))
    )


def test_submit_review_contract_parses() -> None:
    """The exact ``submit_review`` input of the contract validates."""
    payload = {
        "summary": "One problem.",
        "findings": [
            {
                "path": "a.py",
                "line": 3,
                "end_line": None,
                "severity": "critical",
                "category": "security",
                "message": "m",
                "suggestion": None,
                "confidence": 1.0,
            }
        ],
    }
    submission = ReviewSubmission.model_validate(payload)
    assert submission.findings[0].severity is Severity.CRITICAL


@pytest.mark.parametrize(
    "bad",
    [
        {"severity": "blocker"},
        {"confidence": 1.5},
        {"line": 0},
        {"path": "/etc/passwd"},
        {"path": ""},
        {"line": 9, "end_line": 8},
        {"unexpected": 1},
    ],
)
def test_invalid_findings_are_refused(bad: dict[str, Any]) -> None:
    """Findings outside the contract fail validation with a reason."""
    with pytest.raises(ValidationError):
        _finding(**bad)


def test_same_problem_from_two_reviewers_is_one_finding() -> None:
    """Two reviewers flagging the same line for the same category merge, keeping the stronger."""
    weak = _finding(severity="minor", confidence=0.6, line=11)
    strong = _finding(severity="critical", confidence=0.8)
    merged = merge_findings([_report("style", weak), _report("security", strong)])
    assert len(merged) == 1
    assert merged[0].finding == strong
    assert merged[0].reviewers == ("style", "security")


def test_one_reviewers_findings_on_nearby_lines_stay_apart() -> None:
    """Two bandit rules two lines apart are two problems, both kept; a repeat of the same
    finding is one; a finding another analyser shares names both sources."""
    pickle = _finding(line=2, severity="nit", message="bandit B403: pickle import")
    shell = _finding(line=4, message="bandit B602: subprocess call with shell=True identified")
    same_rule = _finding(
        line=4,
        category="correctness",
        confidence=0.7,
        message="ruff S602: subprocess call with shell=True identified",
    )
    merged = merge_findings([_report("ruff", same_rule), _report("bandit", shell, pickle, shell)])
    assert [(m.finding.line, m.reviewers) for m in merged] == [
        (4, ("ruff", "bandit")),
        (2, ("bandit",)),
    ]
    assert merged[0].finding == shell


def test_similar_wording_merges_across_categories() -> None:
    """Different categories but the same words on nearby lines are one problem."""
    first = _finding(category="security", message="Shell command built from user input")
    second = _finding(category="correctness", line=12, message="shell command built from input")
    assert is_same_problem(first, second)


@pytest.mark.parametrize(
    "other",
    [
        {"path": "app/other.py"},
        {"line": 20},
        {"category": "performance", "message": "Quadratic loop over rows."},
    ],
)
def test_different_problems_stay_apart(other: dict[str, Any]) -> None:
    """Another file, distant lines, or another category with other words are kept apart."""
    assert not is_same_problem(_finding(), _finding(**other))
    assert len(merge_findings([_report("a", _finding()), _report("b", _finding(**other))])) == 2


def test_findings_posted_in_an_earlier_round_are_dropped() -> None:
    """A finding whose fingerprint was posted before is not posted again, even if lines moved."""
    earlier = _finding(line=10)
    now = _finding(line=14)
    assert fingerprint(earlier) == fingerprint(now)
    assert merge_findings([_report("a", now)], already_posted=[fingerprint(earlier)]) == []


def test_order_is_severity_then_place() -> None:
    """The most important findings come first."""
    nit = _finding(path="z.py", severity="nit", category="style", message="naming")
    critical = _finding(path="y.py", severity="critical")
    major = _finding(path="a.py", line=50, category="perf", message="slow")
    merged = merge_findings([_report("r", nit, major, critical)])
    assert [m.finding.severity for m in merged] == [Severity.CRITICAL, Severity.MAJOR, Severity.NIT]


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("critical", 0.9, ReviewEvent.REQUEST_CHANGES),
        ("major", 0.5, ReviewEvent.REQUEST_CHANGES),
        ("major", 0.49, ReviewEvent.COMMENT),
        ("minor", 1.0, ReviewEvent.COMMENT),
    ],
)
def test_verdict_follows_policy(severity: str, confidence: float, expected: ReviewEvent) -> None:
    """Changes are requested only for confident findings at or above the policy severity."""
    merged = merge_findings([_report("r", _finding(severity=severity, confidence=confidence))])
    assert decide(merged, ReviewPolicy()) is expected


def test_stricter_policy_requests_changes_for_minor() -> None:
    """A team can ask for changes on minor findings too."""
    merged = merge_findings([_report("r", _finding(severity="minor"))])
    policy = ReviewPolicy(request_changes_at=Severity.MINOR)
    assert decide(merged, policy) is ReviewEvent.REQUEST_CHANGES
    assert decide([], policy) is ReviewEvent.COMMENT


@pytest.mark.parametrize(
    ("written", "filed"),
    [
        ("Security", "security"),
        ("SQL injection", "other"),  # two words: not a known synonym
        ("injection", "security"),
        ("error-handling", "correctness"),
        ("Error Handling", "correctness"),
        ("perf", "performance"),
        ("test_coverage", "tests"),
        ("spec-conformance", "spec"),
        ("Documentation", "docs"),
        ("naming", "style"),
        ("vibes", "other"),
    ],
)
def test_categories_are_filed_under_the_fixed_list(written: str, filed: str) -> None:
    finding = _finding(category=written)
    assert (finding.kind, finding.category) == (filed, written)  # as sent, and as filed


def test_a_reworded_finding_on_the_same_code_keeps_its_fingerprint() -> None:
    """Next round the model says it differently and miscounts the line: same finding."""
    first = _finding(quote="subprocess.run(cmd, shell=True)", line=10)
    again = _finding(
        quote="  subprocess.run(cmd,  shell=True)  ",
        line=14,
        category="injection",
        message="Shell=True with a user-controlled command allows injection.",
    )
    assert fingerprint(first) == fingerprint(again)
    merged = merge_findings([_report("security", again)], already_posted={fingerprint(first)})
    assert merged == []


def test_different_code_or_file_gives_a_different_fingerprint() -> None:
    base = _finding(quote="subprocess.run(cmd, shell=True)")
    assert fingerprint(base) != fingerprint(_finding(quote="os.system(cmd)"))
    assert fingerprint(base) != fingerprint(
        _finding(path="app/other.py", quote="subprocess.run(cmd, shell=True)")
    )
    assert fingerprint(base) != fingerprint(
        _finding(category="performance", quote="subprocess.run(cmd, shell=True)")
    )


def test_a_reviewer_and_an_analyser_on_the_same_quoted_line_are_one_comment() -> None:
    """The style reviewer and ruff both flag ``inventory.py:50`` (a mutable default), in other
    words and other kinds: one finding naming both sources, with both texts."""
    code = "def add(item, into=[]):"
    style = _finding(
        path="inventory.py",
        line=50,
        severity="minor",
        category="style",
        message="A list as a default argument is shared between calls.",
        quote=code,
        confidence=0.8,
    )
    ruff = _finding(
        path="inventory.py",
        line=50,
        severity="major",
        category="correctness",
        message="ruff B006: Do not use mutable data structures for argument defaults",
        quote=code,
    )
    assert is_same_problem(style, ruff)
    [merged] = merge_findings([_report("style", style), _report("ruff", ruff)])
    assert merged.reviewers == ("style", "ruff")
    assert merged.finding.severity is Severity.MAJOR
    assert merged.finding.message.startswith("ruff B006")
    assert "Also (style): A list as a default argument" in merged.finding.message
    assert merged.fingerprint == fingerprint(ruff), "the fingerprint follows the code quoted"


def test_other_code_on_nearby_lines_stays_apart_across_kinds() -> None:
    first = _finding(category="style", message="Name is unclear.", quote="x = load()")
    second = _finding(
        category="correctness", line=11, message="Off by one in the loop.", quote="for i in r:"
    )
    assert not is_same_problem(first, second)
