"""The pull request specbot opens for a spec: title and body (pure rendering).

The body is the implementer's report to reviewers: each acceptance criterion with the tests
that prove it and their measured outcome, the test run as it happened, and ``Closes #n`` so
the issue closes when the pull request merges. Nothing in it is a model's claim.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.evidence import CriterionEvidence, TestRun
from bot.posted import GITHUB_BODY_LIMIT, code_span, inert_line, inert_text

MARKER = "<!-- specbot:pull-request -->"
_STATUS = {"met": "✅ met", "failed": "❌ failed", "unverified": "⚠️ no test names it"}


class TestReport(BaseModel):
    """How the tests were run and what the runner reported."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    command: str
    exit_code: int
    seconds: float
    run: TestRun | None


def pull_title(issue_number: int, issue_title: str) -> str:
    """``<issue title> (#<n>)``, within GitHub's 256-character title limit."""
    suffix = f" (#{issue_number})"
    return issue_title.strip()[: 256 - len(suffix)] + suffix


def _criteria_table(evidence: Sequence[CriterionEvidence]) -> str:
    if not evidence:
        return "_The spec lists no acceptance criteria._"
    rows = ["| # | criterion | status | evidence |", "|---|---|---|---|"]
    for item in evidence:
        # Test names come from code an agent wrote; ``|`` would end the table cell.
        tests = "<br>".join(_cell(code_span(name)) for name in item.tests[:5]) or "—"
        if len(item.tests) > 5:
            tests += f"<br>…and {len(item.tests) - 5} more"
        text = inert_line(item.text, 500)
        rows.append(f"| C{item.number} | {text} | {_STATUS[item.status]} | {tests} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _tests_line(report: TestReport | None) -> str:
    if report is None:
        return "_No test command was found or configured; nothing was run._"
    head = f"{code_span(report.command)} exited {report.exit_code} after {report.seconds:.1f} s"
    if report.run is None:
        return f"{head}; it wrote no JUnit report."
    run = report.run
    return (
        f"{head}: {run.count('passed')} passed, {run.count('failed')} failed, "
        f"{run.count('error')} errors, {run.count('skipped')} skipped."
    )


def render_pull_body(
    issue_number: int,
    plan_summary: str,
    evidence: Sequence[CriterionEvidence],
    tests: TestReport | None,
    changed_files: Sequence[str],
    notes: Sequence[str] = (),
) -> str:
    """The pull request body: summary, criteria with evidence, tests, files, ``Closes #n``."""
    met = sum(1 for item in evidence if item.status == "met")
    parts = [
        MARKER,
        f"Implements #{issue_number}.",
        "### Summary\n\n" + (inert_text(plan_summary.strip()) or "_No summary._"),
        f"### Acceptance criteria ({met} of {len(evidence)} met by passing tests)\n\n"
        + _criteria_table(evidence),
        "### Tests\n\n" + _tests_line(tests),
    ]
    if changed_files:
        listed = "\n".join(f"- {code_span(path)}" for path in changed_files[:100])
        if len(changed_files) > 100:
            listed += f"\n- …and {len(changed_files) - 100} more"
        parts.append(f"### Files changed ({len(changed_files)})\n\n{listed}")
    if notes:
        parts.append("### Notes\n\n" + "\n".join(f"- {inert_line(n, 1000)}" for n in notes))
    closing = f"Closes #{issue_number}"
    body = "\n\n".join(parts)
    room = GITHUB_BODY_LIMIT - len(closing) - 40
    if len(body) > room:
        body = body[:room] + "\n\n_…cut to fit GitHub's limit._"
    return f"{body}\n\n{closing}"
