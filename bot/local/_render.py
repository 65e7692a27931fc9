"""The local commands' results as text for a terminal, JSON for tools, Markdown for a PR."""

from __future__ import annotations

import json
from itertools import groupby

from bot.local._report import RunReport, UsageSummary
from bot.local._review import LocalReview, PlacedFinding
from bot.work import ReviewerNote

_CRITERION_WORDS = {"met": "met", "failed": "NOT met (a test failed)", "unverified": "NOT met"}
_PLACEMENT_WORDS = {
    "on_diff": "on the diff",
    "moved": "outside the diff; nearest diff line {diff_line}",
    "quoted": "miscounted; its quoted code is on diff line {diff_line}",
    "outside_diff": "outside the diff",
}


def _usage(usage: UsageSummary) -> str:
    if usage.calls == 0:
        return "model: no call"
    return (
        f"model: {usage.calls} call(s) to {usage.model}, {usage.input_tokens} tokens in,"
        f" {usage.output_tokens} out, ${usage.cost_usd:.4f}"
    )


def run_text(report: RunReport) -> str:
    """The run's summary: outcome, branch and commit, files, tests, criteria and cost."""
    head = "done" if report.ok else "NOT done"
    lines = [f"specbot run {report.spec}: {head}: {report.reason}", ""]
    if report.branch is not None and report.commit is not None:
        lines.append(f"branch:  {report.branch} ({report.commit[:12]}, from {report.base[:12]})")
        lines.append(f"         git log -p {report.base[:12]}..{report.branch}")
        lines.append(
            f"         specbot review --repo {report.repo} --base {report.base[:12]}"
            f" --head {report.branch}"
        )
    else:
        lines.append("branch:  none created")
    if report.plan:
        lines.append(f"plan:    {_clip(report.plan)}")
    if report.implementer_summary:
        lines.append(f"agent:   {_clip(report.implementer_summary)}")
    if report.files_changed:
        lines.append(f"files:   {len(report.files_changed)} changed")
        lines.extend(f"         {path}" for path in report.files_changed)
    if report.tests is not None:
        tests = report.tests
        command = f" `{tests.command}`" if tests.command else ""
        lines.append(f"tests:   {tests.status}{command}: {tests.counts()}")
        if tests.status != "passed" and tests.output_tail:
            lines += ["", "test output (last lines):", *_indent(tests.output_tail), ""]
    if report.criteria:
        lines.append("criteria:")
        for item in report.criteria:
            lines.append(f"  {item.number}. [{_CRITERION_WORDS[item.status]}] {item.text}")
            lines.extend(f"       {name}" for name in item.tests)
    lines.extend(f"note:    {note}" for note in report.notes)
    if report.checkout is not None:
        lines.append(f"checkout kept at {report.checkout}")
    lines.append(_usage(report.usage))
    return "\n".join(lines)


def _clip(text: str, limit: int = 300) -> str:
    """One line of model text for the terminal: control characters out, at most ``limit``."""
    flat = " ".join(_printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _indent(text: str) -> list[str]:
    return [f"  | {line}" for line in text.splitlines()]


def run_json(report: RunReport) -> str:
    """The run's report as JSON (``specbot run --format json``)."""
    return report.model_dump_json(indent=2)


def review_text(review: LocalReview) -> str:
    """Findings grouped by file, each with its line, placement, severity, reviewers, message."""
    lines = [
        f"specbot review {review.base_ref}...{review.head_ref}: {len(review.findings)} finding(s),"
        f" {_verdict_words(review)}",
        f"{len(review.files)} file(s) changed: "
        + (", ".join(f"{f.path} (+{f.additions} -{f.deletions})" for f in review.files) or "none"),
    ]
    ordered = sorted(review.findings, key=lambda item: (item.path, item.line))
    for path, group in groupby(ordered, key=lambda item: item.path):
        lines += ["", path]
        for item in group:
            lines.extend(_finding_lines(item))
    if review.not_reviewed:
        lines += ["", "not reviewed:", *(f"  {entry}" for entry in review.not_reviewed)]
    if review.incomplete:
        lines += ["", "incomplete:", *(f"  {entry}" for entry in review.incomplete)]
    if review.members:
        failed = {entry.split(":", 1)[0] for entry in review.incomplete}
        members = ", ".join(_member(m, m.member in failed) for m in review.members)
        lines += ["", f"reviewers: {members}"]
    lines.append(_usage(review.usage))
    return "\n".join(lines)


def _member(note: ReviewerNote, failed: bool) -> str:
    """``bandit (ok, 4 findings)``; a failure's reason is under "incomplete:", shown once."""
    status = note.status.split(":", 1)[0] if failed else note.status
    if status.startswith("skipped"):
        return f"{note.member} ({status})"
    return f"{note.member} ({status}, {note.findings} finding(s))"


def _finding_lines(item: PlacedFinding) -> list[str]:
    span = f"{item.line}-{item.end_line}" if item.end_line not in (None, item.line) else item.line
    placement = "quoted" if item.placement == "moved" and item.quoted else item.placement
    where = _PLACEMENT_WORDS[placement].format(diff_line=item.diff_line)
    head = f"  line {span} ({where}) {item.severity} {item.category} [{', '.join(item.reviewers)}]"
    message = [f"      {line}" for line in _printable(item.message).splitlines() or [""]]
    return [head, *message]


def _printable(text: str) -> str:
    """Reviewer text without control characters that could drive the terminal."""
    return "".join(char if char.isprintable() or char == "\n" else " " for char in text)


def _verdict_words(review: LocalReview) -> str:
    return "changes requested" if review.verdict == "request_changes" else "no blocking finding"


def review_json(review: LocalReview) -> str:
    """The review as JSON (``specbot review --format json``)."""
    return json.dumps(review.model_dump(mode="json"), indent=2, ensure_ascii=False)


def review_markdown(review: LocalReview) -> str:
    """The review as the App would post it: the body, then each inline comment under its line."""
    draft = review.draft
    if draft is None:
        return review.summary
    parts = [f"## specbot review of `{review.base_ref}...{review.head_ref}`", "", draft.body]
    for comment in draft.comments:
        where = f"{comment.start_line}-{comment.line}" if comment.start_line else comment.line
        parts += ["", f"### `{comment.path}` line {where}", "", comment.body]
    return "\n".join(parts)
