"""What the step tells the workflow: its verdict, outputs, job summary and annotations.

Everything here is read from the runs' stored outputs (no GitHub call). Text a model wrote
(finding messages, outcomes that quote it) is rendered inert before it reaches the summary's
Markdown, and escaped by the workflow-command writer before it reaches an annotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.action._admission import Admission
from bot.action._session import RunRecord, StepResult
from bot.posted import inert_line, inert_plain

EXIT_DONE = 0
EXIT_FAILED = 1
FAILED_STATUSES = ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")
_REVIEW_VERDICTS = {"REQUEST_CHANGES": "changes_requested"}
_FLOW_ORDER = {"spec": 0, "follow-up": 1, "review": 2}


@dataclass(frozen=True)
class Finding:
    """One finding a review posted, as the annotations and the summary show it."""

    path: str
    line: int
    severity: str
    message: str


@dataclass
class StepReport:
    """The step's verdict and everything the workflow gets from it."""

    verdict: str
    reason: str
    run_id: str = ""
    pr_number: int | None = None
    pr_url: str = ""
    findings: list[Finding] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    resumed: list[RunRecord] = field(default_factory=list)
    usage: tuple[int, int, float] = (0, 0, 0.0)

    def outputs(self) -> dict[str, str]:
        """The step's outputs, as action.yml declares them."""
        tokens_in, tokens_out, cost = self.usage
        return {
            "run_id": self.run_id,
            "verdict": self.verdict,
            "pr_number": "" if self.pr_number is None else str(self.pr_number),
            "pr_url": self.pr_url,
            "findings": str(len(self.findings)),
            "cost_usd": f"{cost:.4f}",
            "input_tokens": str(tokens_in),
            "output_tokens": str(tokens_out),
        }

    def exit_code(self, fail_on_not_ready: bool) -> int:
        """0 for a finished run (a spec not ready too, unless asked), 1 otherwise."""
        if self.verdict in ("failed", "interrupted"):
            return EXIT_FAILED
        if self.verdict == "not_ready" and fail_on_not_ready:
            return EXIT_FAILED
        return EXIT_DONE


def not_admitted(admission: Admission) -> StepReport:
    """The report of an event the step did not take."""
    return StepReport(verdict=admission.verdict, reason=admission.reason)


def report_of(result: StepResult) -> StepReport:
    """The report of the step's runs."""
    # the event's own run first: a spec run starts its review, a review its follow-up
    flows = sorted(
        (run for run in result.runs if run.flow != "delivery"),
        key=lambda run: _FLOW_ORDER.get(run.flow, len(_FLOW_ORDER)),
    )
    report = StepReport(
        verdict="ignored",
        reason="",
        runs=result.runs,
        resumed=result.resumed,
        usage=result.usage,
    )
    if flows:
        report.run_id = flows[0].run_id
    for run in flows:
        _read_run(report, run)
    report.verdict, report.reason = _verdict(result, flows, report)
    return report


def _read_run(report: StepReport, run: RunRecord) -> None:
    output = run.output if isinstance(run.output, dict) else {}
    if run.flow == "spec":
        report.stages = [s for s in output.get("stages", []) if isinstance(s, dict)]
        if isinstance(output.get("pull"), int):
            report.pr_number, report.pr_url = output["pull"], str(output.get("pull_url") or "")
    reviewed = run.stages.get("review")
    if isinstance(reviewed, dict):
        if report.pr_number is None and isinstance(reviewed.get("pull"), int):
            report.pr_number = reviewed["pull"]
            pull_info = reviewed.get("pull_info")
            if isinstance(pull_info, dict):
                report.pr_url = str(pull_info.get("html_url") or "")
        for item in reviewed.get("reported", []):
            report.findings.append(
                Finding(
                    path=str(item.get("path", "")),
                    line=int(item.get("line") or 0),
                    severity=str(item.get("severity", "")),
                    message=str(item.get("message", "")),
                )
            )


def _verdict(result: StepResult, flows: list[RunRecord], report: StepReport) -> tuple[str, str]:
    if result.interrupted:
        left = f"; {result.unfinished} run(s) left unfinished" if result.unfinished else ""
        return "interrupted", f"the job was stopped: each run says where it stopped{left}"
    failed = [run for run in result.runs if run.status in FAILED_STATUSES]
    if failed:
        return "failed", f"run {failed[0].run_id} failed: {failed[0].error or failed[0].status}"
    if not flows:
        if result.refusals:
            return "refused", result.refusals[0]
        delivery = next((run for run in result.runs if run.flow == "delivery"), None)
        output = delivery.output if delivery is not None else None
        if isinstance(output, dict) and output.get("handlers"):
            return "handled", "the event was handled and started no run (a reply, at most)"
        return "ignored", "nothing in this event is for specbot"
    first = flows[0]
    output = first.output if isinstance(first.output, dict) else {}
    if first.flow == "spec":
        return _spec_verdict(output)
    reviewed = first.stages.get("review")
    if first.flow == "review" and isinstance(reviewed, dict):
        event = str(reviewed.get("event", ""))
        if event in _REVIEW_VERDICTS:
            return _REVIEW_VERDICTS[event], f"{len(report.findings)} finding(s)"
        passed = reviewed.get("conclusion") == "success"
        return ("passed" if passed else "commented"), f"{len(report.findings)} finding(s)"
    if first.flow == "follow-up":
        pushed = bool(output.get("commit"))
        return ("pushed" if pushed else "commented"), str(output.get("outcome", ""))[:200]
    return "commented", f"{first.flow} run {first.status.lower()}"


def _spec_verdict(output: dict[str, Any]) -> tuple[str, str]:
    outcome = str(output.get("outcome", ""))
    if output.get("interrupted"):
        return "interrupted", outcome
    if output.get("ready") is False:
        return "not_ready", "the spec is not ready: the issue says what to add"
    if output.get("awaiting_approval"):
        return "awaiting_approval", "the plan waits for approval: comment /specbot approve"
    if isinstance(output.get("pull"), int):
        return "pushed", outcome
    stages = output.get("stages", [])
    if any(isinstance(s, dict) and s.get("state") == "failed" for s in stages):
        return "failed", outcome
    return "ready", outcome


def summary_markdown(report: StepReport, repository: str) -> str:
    """The job summary: verdict, stages, links, cost and the findings table."""
    tokens_in, tokens_out, cost = report.usage
    lines = [f"## specbot: {report.verdict.replace('_', ' ')}", ""]
    if report.reason:
        lines += [inert_line(report.reason, 500), ""]
    if report.pr_url:
        lines += [f"Pull request: [#{report.pr_number}]({report.pr_url})", ""]
    if report.stages:
        lines += ["| stage | state | seconds | detail |", "|---|---|---|---|"]
        for stage in report.stages:
            seconds = stage.get("seconds")
            shown = f"{seconds:.1f}" if isinstance(seconds, int | float) else ""
            detail = inert_line(str(stage.get("detail", "")), 200).replace("|", "\\|")
            lines.append(f"| {stage.get('name')} | {stage.get('state')} | {shown} | {detail} |")
        lines.append("")
    if report.runs:
        listed = ", ".join(f"`{run.run_id}` ({run.status.lower()})" for run in report.runs)
        lines += [f"Runs in {repository}: {listed}", ""]
    if report.resumed:
        listed = ", ".join(f"`{run.run_id}` ({run.status.lower()})" for run in report.resumed)
        lines += [f"Resumed from the restored database (a stopped job's): {listed}", ""]
    lines += [
        f"Model usage: {tokens_in:,} input and {tokens_out:,} output tokens, ${cost:.4f}.",
        "",
    ]
    if report.findings:
        lines += ["| severity | where | finding |", "|---|---|---|"]
        for item in report.findings:
            where = inert_line(f"{item.path}:{item.line}", 200).replace("|", "\\|")
            said = inert_line(item.message, 300).replace("|", "\\|")
            lines.append(f"| {item.severity} | {where} | {said} |")
        lines.append("")
    return "\n".join(lines)


def one_line(text: str, limit: int = 1000) -> str:
    """``text`` on one line (no line of it can start a workflow command), cut at ``limit``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def annotation_text(item: Finding) -> str:
    """A finding's message for an annotation (plain text that cannot link or mention)."""
    return inert_plain(item.message)[:1000]
