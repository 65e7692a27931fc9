"""The reviewer swarm over one change: model reviewers and analysers in parallel, one verdict.

Every reviewer of the configured team reads each batch of the diff (a change over the token
budget is split into batches; files left out are named), the deterministic analysers run on
the checkout, and the findings are merged (duplicates across reviewers and against earlier
rounds dropped) into one review with a verdict. No GitHub here: callers post the result.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.agents import AgentOutcome, ModelCall, ModelRequest, ModelResponse
from bot.analysers import AnalyserOutcome, AnalyserStatus, default_analysers, run_analysers
from bot.criteria import TIED_REVIEWER
from bot.ports import FileDiff
from bot.review import (
    MergedFinding,
    ReviewerReport,
    ReviewEvent,
    ReviewPolicy,
    ReviewSubmission,
    decide,
    merge_findings,
    render_batch,
    split_for_review,
)
from bot.untrusted import delimit
from bot.work._spec import SpecText
from bot.work._team import Team
from bot.work._texts import task_text

SPEC_REVIEWER = TIED_REVIEWER  # spec-conformance: reviews the change against its spec
DEFAULT_REVIEW_BUDGET = 60_000  # tokens of diff per batch: leaves room for files read
DEFAULT_MAX_BATCHES = 4
PRIMER_TIMEOUT = 120.0  # seconds the other reviewers wait for the first one's first response


class ReviewerNote(BaseModel):
    """How one swarm member's part went, for the check run's summary."""

    model_config = ConfigDict(frozen=True)

    member: str
    status: str
    findings: int


class ReviewResult(BaseModel):
    """The swarm's merged findings, verdict and what it could not review."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[MergedFinding, ...]
    event: ReviewEvent
    members: tuple[ReviewerNote, ...]
    not_reviewed: tuple[str, ...]
    summary: str


class CachePrimer:
    """Lets one agent's first call write the shared prefix to the cache before others read it.

    A cache entry exists only once a response has begun, so reviewers that all start at once
    each pay to write the same diff. The leader's first call goes alone; the others' first
    calls wait until its first response is back (or ``timeout`` passes, so a slow leader
    stalls nobody for long), then read the prefix from cache.
    """

    def __init__(self, timeout: float = PRIMER_TIMEOUT) -> None:
        self.timeout = timeout
        self._primed = threading.Event()

    def wrap(self, call: ModelCall, *, leader: bool) -> ModelCall:
        """``call`` for one agent: its first call primes (leader) or waits, the rest go straight."""
        first_call = True

        def primed_call(request: ModelRequest) -> ModelResponse:
            nonlocal first_call
            if not first_call:
                return call(request)
            first_call = False
            if not leader:
                self._primed.wait(self.timeout)
                return call(request)
            try:
                return call(request)
            finally:
                self._primed.set()  # also when it failed: the others must not wait for nothing

        return primed_call


def _reviewer_task(pull: int, title: str, batch_note: str, earlier: str) -> str:
    shown = ""
    if earlier:  # what people wrote in earlier threads is data, like the diff
        listed = delimit(earlier, "earlier findings", clean=False)
        shown = (
            "\nFindings specbot posted in earlier rounds on this pull request ([open], or "
            "[answered] in their thread: a reply may dismiss one). Do not report them again; "
            "report one again only if the code still has the problem and you have something "
            f"new to say.\n\n{listed}\n"
        )
    return task_text("review", pull=pull, title=title, batch_note=batch_note, earlier=shown)


def _context(spec: SpecText | None, diff_text: str) -> str:
    spec_text = spec.body if spec is not None else "_No linked specification._"
    return task_text(
        "review-context",
        number=spec.number if spec is not None else "-",
        spec=delimit(spec_text, "specification", clean=False),
        diff=delimit(diff_text, "diff", clean=False),
    )


def _report(reviewer: str, outcome: AgentOutcome) -> ReviewerReport | None:
    if outcome.submission is None:
        return None
    return ReviewerReport(
        reviewer=reviewer, submission=ReviewSubmission.model_validate(outcome.submission)
    )


def review_changes(
    team: Team,
    checkout: Path,
    files: Sequence[FileDiff],
    spec: SpecText | None,
    *,
    pull: int,
    title: str,
    reviewers: Sequence[str],
    policy: ReviewPolicy,
    already_posted: Iterable[str] = (),
    earlier: str = "",
    budget_tokens: int = DEFAULT_REVIEW_BUDGET,
    with_analysers: bool = True,
) -> ReviewResult:
    """Run every reviewer on every batch, in parallel, plus the analysers; merge and decide.

    ``earlier``: the findings of earlier rounds as ``render_earlier`` lists them. Without a
    spec the spec-conformance reviewer has nothing to check against and is not run.
    """
    skipped = [] if spec is not None or SPEC_REVIEWER not in reviewers else [SPEC_REVIEWER]
    reviewers = [name for name in reviewers if name not in skipped]
    split = split_for_review(list(files), budget_tokens, max_batches=DEFAULT_MAX_BATCHES)
    jobs: list[tuple[str, str, str]] = []  # (reviewer, task, shared context)
    for index, batch in enumerate(split.batches, start=1):
        note = f" (part {index} of {len(split.batches)})" if len(split.batches) > 1 else ""
        context = _context(spec, render_batch(batch))
        task = _reviewer_task(pull, title, note, earlier)
        jobs.extend((name, task, context) for name in reviewers)
    outcomes, analysed = _run_members(team, checkout, files, jobs, with_analysers)
    reports, notes = _collect(outcomes, analysed)
    notes += [ReviewerNote(member=name, status="not run: no spec", findings=0) for name in skipped]
    merged = merge_findings(reports, already_posted)
    event = decide(merged, policy)
    not_reviewed = tuple(f"{item.path} ({item.reason})" for item in split.not_reviewed)
    return ReviewResult(
        findings=tuple(merged),
        event=event,
        members=tuple(notes),
        not_reviewed=not_reviewed,
        summary=_summary(merged, event, notes),
    )


def _run_members(
    team: Team,
    checkout: Path,
    files: Sequence[FileDiff],
    jobs: Sequence[tuple[str, str, str]],
    with_analysers: bool,
) -> tuple[list[tuple[str, AgentOutcome | BaseException]], list[AnalyserOutcome]]:
    """Every (reviewer, task, shared context) job in parallel, the analysers meanwhile."""
    outcomes: list[tuple[str, AgentOutcome | BaseException]] = []
    primers = {context: CachePrimer() for _, _, context in jobs}
    leaders: dict[str, int] = {}  # each shared context's first job primes its cache entry
    for index, (_, _, context) in enumerate(jobs):
        leaders.setdefault(context, index)
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), 8))) as pool:
        futures = [
            (
                name,
                pool.submit(
                    team.run,
                    name,
                    task,
                    checkout,
                    shared_context=context,
                    wrap_model=functools.partial(
                        primers[context].wrap, leader=leaders[context] == index
                    ),
                ),
            )
            for index, (name, task, context) in enumerate(jobs)
        ]
        analysed = _analyse(checkout, files, team.isolate) if with_analysers else []
        for name, future in futures:
            try:
                outcomes.append((name, future.result()))
            except Exception as exc:  # one member failing must not sink the swarm
                outcomes.append((name, exc))
    return outcomes, analysed


def _analyse(checkout: Path, files: Sequence[FileDiff], isolate: bool) -> list[AnalyserOutcome]:
    return run_analysers(default_analysers(), checkout, files, isolate=isolate)


def _collect(
    outcomes: Sequence[tuple[str, AgentOutcome | BaseException]],
    analysed: Sequence[AnalyserOutcome],
) -> tuple[list[ReviewerReport], list[ReviewerNote]]:
    reports: list[ReviewerReport] = []
    notes: list[ReviewerNote] = []
    for name, outcome in outcomes:
        if isinstance(outcome, BaseException):
            notes.append(ReviewerNote(member=name, status=f"failed: {outcome}"[:200], findings=0))
            continue
        report = _report(name, outcome)
        count = len(report.submission.findings) if report is not None else 0
        status = "reviewed"
        if report is None:  # refused, limited or stopped: the loop's message says which
            status = f"no review ({outcome.status}: {outcome.message})"[:200]
        notes.append(ReviewerNote(member=name, status=status, findings=count))
        if report is not None:
            reports.append(report)
    for item in analysed:
        # A skipped or failed analyser says why (not installed, no local rules, a crash).
        status = item.status.value
        if item.status is not AnalyserStatus.OK:
            status = f"{status}: {item.detail}"[:200]
        notes.append(ReviewerNote(member=item.analyser, status=status, findings=item.kept))
        reports.append(item.report)
    return reports, notes


def _summary(
    findings: Sequence[MergedFinding], event: ReviewEvent, notes: Sequence[ReviewerNote]
) -> str:
    verdict = "changes requested" if event is ReviewEvent.REQUEST_CHANGES else "no blocking problem"
    members = ", ".join(f"{note.member} ({note.status}, {note.findings})" for note in notes)
    return f"specbot review: {len(findings)} finding(s), {verdict}. Reviewers: {members}."
