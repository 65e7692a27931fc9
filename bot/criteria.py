"""The ``specbot/criteria`` check: each acceptance criterion proven, unproven or waived (pure).

A criterion is **proven** at a commit when the tests that name it (``test_c2_…``, see
``bot.evidence``) ran there and all passed; **waived** when a person with write access said
``/specbot waive N reason`` (recorded in a comment of specbot's own, with who and why);
otherwise **unproven**. The check fails while any criterion is unproven and not waived.
Spec-conformance findings that name a criterion (``C2``) are shown beside it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.evidence import CriterionEvidence
from bot.posted import inert_line, inert_text
from bot.pull_request import TestReport
from bot.review import MergedFinding

CriterionState = Literal["proven", "unproven", "waived"]
SECTION_HEADING = "### Acceptance criteria"
_WAIVER_MARKER = "<!-- specbot:waiver {data} -->"
_WAIVER_PATTERN = re.compile(r"<!-- specbot:waiver ([A-Za-z0-9_=-]+) -->")
_WAIVE_ARGUMENT = re.compile(r"^\s*(?:a?c)?(\d{1,3})\b[\s:,-]*(.*)$", re.IGNORECASE | re.DOTALL)
_NAMED_CRITERION = re.compile(r"(?<![\w-])(?:a?c|criterion\s+#?)(\d{1,3})(?![\w])", re.IGNORECASE)
_ICONS = {"proven": "✅ proven", "unproven": "❌ unproven", "waived": "⚪ waived"}
TIED_REVIEWER = "spec-conformance"


class WaiveError(ValueError):
    """A ``/specbot waive`` that cannot be recorded; the message says why in one line."""


class Waiver(BaseModel):
    """Who waived which criterion, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    criterion: int = Field(ge=1)
    by: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=1000)
    command_id: int = 0  # the comment that asked for it


class CriterionRow(BaseModel):
    """One line of the check: the criterion, its state and what shows it."""

    model_config = ConfigDict(frozen=True)

    number: int
    text: str
    state: CriterionState
    tests: tuple[str, ...]
    test_status: str
    waiver: Waiver | None = None
    findings: tuple[str, ...] = ()


def parse_waive(argument: str) -> tuple[int, str]:
    """``N reason`` (or ``CN reason``) from ``/specbot waive``; ``WaiveError`` otherwise."""
    match = _WAIVE_ARGUMENT.match(argument or "")
    if match is None:
        raise WaiveError("write `/specbot waive N reason`, N being the criterion's number")
    reason = " ".join(match.group(2).split())
    if not reason:
        raise WaiveError("a waiver needs a reason: `/specbot waive N reason`")
    return int(match.group(1)), reason[:1000]


def waiver_comment(waiver: Waiver) -> str:
    """The comment that records a waiver: a hidden marker with the data, and the same in words."""
    data = base64.urlsafe_b64encode(waiver.model_dump_json().encode()).decode()
    reason = inert_line(waiver.reason, limit=500)
    return (
        f"{_WAIVER_MARKER.format(data=data)}\n"
        f"Acceptance criterion C{waiver.criterion} waived by @{waiver.by}: {reason}\n\n"
        "The `specbot/criteria` check counts it as waived from now on."
    )


def read_waivers(comments: Iterable[tuple[str, str]], bot_login: str) -> dict[int, Waiver]:
    """The waivers recorded in specbot's own comments ``(author, body)``; the latest wins."""
    found: dict[int, Waiver] = {}
    for author, body in comments:
        if author != bot_login:
            continue  # anyone can paste a marker: only specbot's own comments count
        for data in _WAIVER_PATTERN.findall(body):
            try:
                waiver = Waiver.model_validate_json(base64.urlsafe_b64decode(data.encode()))
            except (ValidationError, ValueError, binascii.Error):
                continue
            found[waiver.criterion] = waiver
    return found


def tied_findings(findings: Iterable[MergedFinding]) -> dict[int, list[str]]:
    """Spec-conformance findings by the criterion they name (``C2``, ``criterion 2``)."""
    tied: dict[int, list[str]] = {}
    for merged in findings:
        if TIED_REVIEWER not in merged.reviewers:
            continue
        finding = merged.finding
        text = f"{finding.category} {finding.message}"
        where = f"{finding.path}:{finding.line}"
        for number in sorted({int(n) for n in _NAMED_CRITERION.findall(text)}):
            note = f"{finding.severity.value} at {where}: {finding.message}"
            tied.setdefault(number, []).append(note[:300])
    return tied


def criteria_rows(
    evidence: Sequence[CriterionEvidence],
    waivers: dict[int, Waiver],
    findings: dict[int, list[str]],
) -> list[CriterionRow]:
    """Each criterion with its state: proven by tests, else waived, else unproven."""
    rows: list[CriterionRow] = []
    for item in evidence:
        waiver = waivers.get(item.number)
        state: CriterionState = (
            "proven" if item.status == "met" else "waived" if waiver else "unproven"
        )
        rows.append(
            CriterionRow(
                number=item.number,
                text=item.text,
                state=state,
                tests=item.tests,
                test_status=item.status,
                waiver=waiver,
                findings=tuple(findings.get(item.number, ())),
            )
        )
    return rows


def conclusion(rows: Sequence[CriterionRow]) -> str:
    """``failure`` while a criterion is unproven and not waived; ``neutral`` with none."""
    if not rows:
        return "neutral"
    return "failure" if any(row.state == "unproven" for row in rows) else "success"


def title(rows: Sequence[CriterionRow]) -> str:
    """``2 of 3 criteria proven, 1 waived``."""
    proven = sum(1 for row in rows if row.state == "proven")
    waived = sum(1 for row in rows if row.state == "waived")
    text = f"{proven} of {len(rows)} criteria proven"
    return f"{text}, {waived} waived" if waived else text


def _cell(text: str) -> str:
    # Inline code and emphasis stay; mentions, references and HTML do not; one table cell.
    return inert_text(text, limit=2000).replace("|", "\\|").replace("\n", " ")


def _evidence(row: CriterionRow) -> str:
    parts: list[str] = []
    if row.tests:
        verb = "passed" if row.test_status == "met" else "did not all pass"
        parts.append(f"{verb}: " + "<br>".join(f"`{_cell(name)}`" for name in row.tests[:5]))
    else:
        parts.append("no test names it")
    if row.waiver is not None:
        parts.append(f"waived by @{row.waiver.by}: {_cell(row.waiver.reason)}")
    parts.extend(f"review: {_cell(note)}" for note in row.findings[:3])
    return "<br>".join(parts)


def tests_line(tests: TestReport | None, sha: str) -> str:
    """The test run the states come from: command, exit code and counts at ``sha``."""
    if tests is None:
        return f"At `{sha[:12]}` no test command ran, so no criterion is proven by a test."
    head = f"At `{sha[:12]}`: `{_cell(tests.command)}` exited {tests.exit_code}"
    if tests.run is None:
        return f"{head}; it wrote no JUnit report."
    run = tests.run
    return (
        f"{head}: {run.count('passed')} passed, {run.count('failed')} failed, "
        f"{run.count('error')} errors, {run.count('skipped')} skipped."
    )


def criteria_table(rows: Sequence[CriterionRow]) -> str:
    """The criteria as a Markdown table (criterion, state, evidence)."""
    if not rows:
        return "_The spec lists no acceptance criteria._"
    lines = ["| # | criterion | state | evidence |", "|---|---|---|---|"]
    lines += [
        f"| C{row.number} | {_cell(row.text)} | {_ICONS[row.state]} | {_evidence(row)} |"
        for row in rows
    ]
    return "\n".join(lines)


def check_summary(rows: Sequence[CriterionRow], tests: TestReport | None, sha: str) -> str:
    """The check run's summary: the table, then the test run it comes from."""
    note = (
        "A criterion is proven when the tests named for it (`test_c<N>_…`) passed at this "
        "commit; `/specbot waive N reason` (write access) waives one."
    )
    return "\n\n".join([criteria_table(rows), tests_line(tests, sha), note])


def pull_section(rows: Sequence[CriterionRow], tests: TestReport | None, sha: str) -> str:
    """The pull request body's criteria section, in step with the check."""
    proven = sum(1 for row in rows if row.state == "proven")
    waived = sum(1 for row in rows if row.state == "waived")
    counts = f"{proven} of {len(rows)} met by passing tests" + (
        f", {waived} waived" if waived else ""
    )
    return "\n\n".join(
        [f"{SECTION_HEADING} ({counts})", criteria_table(rows), tests_line(tests, sha)]
    )


def replace_pull_section(body: str, section: str) -> str:
    """``body`` with its criteria section replaced (added before ``Closes`` if missing)."""
    text = body.replace("\r\n", "\n")
    start = text.find(f"\n{SECTION_HEADING}")
    if start < 0:
        closing = text.rfind("\n\nCloses #")
        at = closing if closing >= 0 else len(text)
        return f"{text[:at]}\n\n{section}{text[at:]}"
    ends = [
        found
        for found in (text.find("\n### ", start + 1), text.find("\n\nCloses #", start + 1))
        if found >= 0
    ]
    end = min(ends) if ends else len(text)
    rest = text[end:].lstrip("\n")
    return f"{text[:start]}\n{section}\n\n{rest}" if rest else f"{text[:start]}\n{section}"
