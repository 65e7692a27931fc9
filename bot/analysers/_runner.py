"""Run analysers over a pull request's changed files and keep what lands on changed lines.

A missing, crashing, hanging or babbling tool gives an ``error`` outcome with a one-line
reason, never an exception: an analyser is one member of the swarm and must not stop it.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from bot.analysers._outcome import AnalyserOutcome, AnalyserStatus, Parsed
from bot.analysers._process import ToolRun, run_tool
from bot.analysers._targets import Targets, select_targets
from bot.ports import FileDiff
from bot.review import Finding, ReviewerReport, ReviewSubmission

MAX_FINDINGS = 200  # the submit_review contract's limit per reviewer
DEFAULT_TIMEOUT = 120.0
DEFAULT_OUTPUT_LIMIT = 10_000_000

logger = logging.getLogger(__name__)


class Analyser(Protocol):
    """A deterministic reviewer: a command over files and a parser for its JSON output."""

    @property
    def name(self) -> str:
        """The reviewer name its findings are reported under."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """File name endings it analyses (lower case)."""
        ...

    @property
    def optional(self) -> bool:
        """True when a missing tool means "not run" rather than an error."""
        ...

    @property
    def ok_exit_codes(self) -> frozenset[int]:
        """Exit statuses that mean the tool ran (with or without findings)."""
        ...

    def executable(self) -> str | None:
        """The path of the tool, or None when it is not installed."""
        ...

    def skip_reason(self, targets: Targets) -> str | None:
        """Why the tool should not run on these targets (e.g. no rules), or None to run it."""
        ...

    def command(self, executable: str, targets: Targets) -> list[str]:
        """The command line analysing ``targets`` (absolute paths only, never a bare name)."""
        ...

    def parse(self, document: object, targets: Targets) -> Parsed:
        """The findings in the tool's decoded JSON output, on diff paths."""
        ...


def find_executable(name: str, configured: str | None = None) -> str | None:
    """The tool: ``configured`` if it is executable, else ``name`` on ``PATH`` or next to
    the running Python (a virtual environment's tools); None when it is not installed."""
    if configured is not None:
        return configured if shutil.which(configured) is not None else None
    found = shutil.which(name)
    if found is not None:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def run_analyser(
    analyser: Analyser,
    root: Path,
    diffs: Sequence[FileDiff],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    isolate: bool = True,
) -> AnalyserOutcome:
    """Run one analyser on the changed files of ``diffs`` in the checkout ``root``."""
    if not root.is_dir():
        empty = Targets(root=root, absolute={}, changed_lines={}, unreadable=())
        missing = f"the checkout {root} is not a directory"
        return _outcome(analyser, AnalyserStatus.ERROR, empty, missing)
    targets = select_targets(root, diffs, analyser.suffixes)
    if not targets.absolute:
        return _outcome(analyser, AnalyserStatus.SKIPPED, targets, "no changed files to analyse")
    executable = analyser.executable()
    if executable is None:
        missing = f"{analyser.name} is not installed"
        status = AnalyserStatus.SKIPPED if analyser.optional else AnalyserStatus.ERROR
        return _outcome(analyser, status, targets, missing)
    reason = analyser.skip_reason(targets)
    if reason is not None:
        return _outcome(analyser, AnalyserStatus.SKIPPED, targets, reason)
    started = time.monotonic()
    run = run_tool(
        analyser.command(executable, targets),
        cwd=targets.root,
        timeout=timeout,
        output_limit=output_limit,
        isolate=isolate,
    )
    logger.debug("analyser %s ran in %.3f s", analyser.name, time.monotonic() - started)
    failure = _failure(analyser, run, timeout, output_limit)
    if failure is not None:
        return _outcome(analyser, AnalyserStatus.ERROR, targets, failure)
    try:
        document = json.loads(run.stdout)
    except (ValueError, RecursionError):
        not_json = f"{analyser.name} wrote output that is not JSON"
        return _outcome(analyser, AnalyserStatus.ERROR, targets, not_json)
    return _filtered(analyser, targets, analyser.parse(document, targets))


def run_analysers(
    analysers: Iterable[Analyser],
    root: Path,
    diffs: Sequence[FileDiff],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    isolate: bool = True,
) -> list[AnalyserOutcome]:
    """Run each analyser in turn; every one gives an outcome, whatever the others did."""
    outcomes = []
    for analyser in analysers:
        try:
            outcome = run_analyser(
                analyser, root, diffs, timeout=timeout, output_limit=output_limit, isolate=isolate
            )
        except Exception as exc:  # one member failing must not stop the swarm
            logger.exception("analyser %s crashed", analyser.name)
            empty = Targets(root=root, absolute={}, changed_lines={}, unreadable=())
            crashed = f"{analyser.name} crashed: {type(exc).__name__}: {exc}"[:500]
            outcome = _outcome(analyser, AnalyserStatus.ERROR, empty, crashed)
        logger.info(
            "analyser %s: %s (%s)",
            outcome.analyser,
            outcome.status.value,
            outcome.detail,
            extra={"analyser": outcome.analyser, "status": outcome.status.value},
        )
        outcomes.append(outcome)
    return outcomes


def _failure(analyser: Analyser, run: ToolRun, timeout: float, limit: int) -> str | None:
    reason = run.failure(timeout, limit)
    if reason is None and run.returncode not in analyser.ok_exit_codes:
        last = run.stderr.strip().splitlines()[-1:] or ["no error output"]
        reason = f"exited with status {run.returncode}: {last[0][:300]}"
    return None if reason is None else f"{analyser.name} {reason}"


def _within_file(findings: Iterable[Finding], targets: Targets) -> list[Finding]:
    """Findings whose first line exists in their file, their last line clamped to its end."""
    counts = {path: targets.line_count(path) for path in targets.absolute}
    kept = []
    for finding in findings:
        lines = counts.get(finding.path, 0)
        if finding.line > lines + 1:
            continue
        if finding.line == lines + 1:  # "unexpected end of file" sits just past the last line
            finding = finding.model_copy(update={"line": max(lines, 1), "end_line": None})
        if finding.end_line is not None and finding.end_line > lines:
            end = lines if lines > finding.line else None
            finding = finding.model_copy(update={"end_line": end})
        kept.append(finding)
    return kept


def _filtered(analyser: Analyser, targets: Targets, parsed: Parsed) -> AnalyserOutcome:
    real = _within_file(parsed.findings, targets)
    parsed.invalid += len(parsed.findings) - len(real)
    parsed.findings = real
    on_diff = [f for f in real if targets.touches_change(f.path, f.line, f.end_line)]
    on_diff.sort(key=lambda f: (f.severity.rank, f.path, f.line, f.category, f.message))
    kept = on_diff[:MAX_FINDINGS]
    outside = len(parsed.findings) - len(on_diff)
    over = len(on_diff) - len(kept)
    detail = f"{len(kept)} finding(s) on changed lines of {len(targets.absolute)} file(s)"
    if outside:
        detail += f"; {outside} on unchanged lines not reported"
    if over:
        detail += f"; {over} more over the limit of {MAX_FINDINGS} not reported"
    if parsed.invalid:
        detail += f"; {parsed.invalid} unusable entr(ies) in the tool's output ignored"
    return _outcome(
        analyser,
        AnalyserStatus.OK,
        targets,
        detail,
        findings=kept,
        counts=(outside, over, parsed.invalid),
    )


def _outcome(
    analyser: Analyser,
    status: AnalyserStatus,
    targets: Targets,
    detail: str,
    *,
    findings: Sequence[Finding] = (),
    counts: tuple[int, int, int] = (0, 0, 0),
) -> AnalyserOutcome:
    if targets.unreadable:
        detail += (
            f"; {len(targets.unreadable)} changed file(s) skipped:"
            " not a regular file inside the checkout"
        )
    summary = {
        AnalyserStatus.OK: f"{analyser.name}: {detail}.",
        AnalyserStatus.ERROR: f"{analyser.name} could not review this change: {detail}.",
        AnalyserStatus.SKIPPED: f"{analyser.name} was not run: {detail}.",
    }[status]
    report = ReviewerReport(
        reviewer=analyser.name,
        submission=ReviewSubmission(summary=summary[:20_000], findings=list(findings)),
    )
    outside, over, invalid = counts
    return AnalyserOutcome(
        analyser=analyser.name,
        status=status,
        report=report,
        files=len(targets.absolute),
        kept=len(findings),
        outside_diff=outside,
        over_limit=over,
        invalid=invalid,
        detail=detail,
    )
