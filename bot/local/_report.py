"""What a local run reports: the branch, its commit, the tests, each criterion, and the cost."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.evidence import CriterionEvidence
from bot.local._progress import StageRecord
from bot.workspace import TestResult

RunOutcome = Literal["committed", "not_committed"]
_OUTPUT_TAIL_LINES = 30


class TestSummary(BaseModel):
    """The measured test run: status, command, counts and the tail of its output."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    status: str
    command: str | None
    exit_code: int | None
    seconds: float | None
    passed: int
    failed: int
    errors: int
    skipped: int
    notes: tuple[str, ...]
    output_tail: str

    @classmethod
    def of(cls, result: TestResult) -> TestSummary:
        """The summary of a ``TestResult`` (counts from its JUnit report when there was one)."""
        report = result.report
        run = report.run if report is not None else None
        counts = {
            outcome: run.count(outcome) if run is not None else 0
            for outcome in ("passed", "failed", "error", "skipped")
        }
        tail = "\n".join(result.output.rstrip().splitlines()[-_OUTPUT_TAIL_LINES:])
        return cls(
            status=result.status,
            command=report.command if report is not None else None,
            exit_code=report.exit_code if report is not None else None,
            seconds=report.seconds if report is not None else None,
            passed=counts["passed"],
            failed=counts["failed"],
            errors=counts["error"],
            skipped=counts["skipped"],
            notes=result.notes,
            output_tail=tail,
        )

    def counts(self) -> str:
        """``3 passed, 1 failed, 0 errors, 0 skipped``."""
        return (
            f"{self.passed} passed, {self.failed} failed, {self.errors} errors,"
            f" {self.skipped} skipped"
        )


class UsageSummary(BaseModel):
    """Model calls, tokens and cost of one command."""

    model_config = ConfigDict(frozen=True)

    model: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class RunReport(BaseModel):
    """Everything ``specbot run`` found out, for the summary and ``--format json``."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    outcome: RunOutcome
    reason: str
    spec: str
    title: str
    repo: str
    base: str
    branch: str | None
    commit: str | None
    files_changed: tuple[str, ...]
    plan: str  # the planner's summary ("" when there was no plan)
    implementer_summary: str  # the implementer's closing reply
    tests: TestSummary | None
    criteria: tuple[CriterionEvidence, ...]
    stages: tuple[StageRecord, ...]
    notes: tuple[str, ...]
    usage: UsageSummary
    checkout: str | None  # kept for inspection (``--keep-checkout`` or a failed hand-back)
