"""The reviewer swarm over one change: rounds of members on a blackboard, consensus, one verdict.

Every reviewer of the configured team reads each batch of the diff (a change over the token
budget is split into batches; files left out are named) and the deterministic analysers run on
the checkout; each is a checkpointed member (``bot.work._members``). Round 1 is blind; a later
round, when the configuration allows more than one, shows the reviewers what the swarm found so
far and asks only for what is new, until a consensus rule holds. The findings are merged
(duplicates across reviewers and against earlier reviews dropped) into one review with a
verdict. No GitHub here: callers post the result.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.analysers import AnalyserOutcome, AnalyserStatus
from bot.criteria import TIED_REVIEWER
from bot.orchestra import (
    Blackboard,
    ConsensusRule,
    ConsensusState,
    Contribution,
    InMemoryCheckpoints,
    MemberCheckpoints,
    decide_consensus,
    out_of_rounds,
)
from bot.ports import FileDiff
from bot.review import (
    MergedFinding,
    ReviewerReport,
    ReviewEvent,
    ReviewPolicy,
    ReviewSplit,
    ReviewSubmission,
    decide,
    merge_findings,
    render_batch,
    split_for_review,
)
from bot.review.areas import plan_areas
from bot.work._members import Outcome, ReviewerJob, run_members
from bot.work._review_texts import findings_so_far, reviewer_task, shared_context, task_message
from bot.work._spec import SpecText
from bot.work._team import Team

SPEC_REVIEWER = TIED_REVIEWER  # spec-conformance: reviews the change against its spec
DEFAULT_REVIEW_BUDGET = 60_000  # tokens of diff per batch: leaves room for files read
DEFAULT_MAX_BATCHES = 4

# Writes one blackboard entry to the run's event log: its type, payload and a number that is
# the same on every start of the review (so a resumed review writes no entry twice).
Record = Callable[[str, dict[str, Any], int], object]


def _not_recorded(event_type: str, payload: dict[str, Any], seq: int) -> None:
    """A ``Record`` that keeps nothing (a review outside the durable engine)."""


@dataclass(frozen=True)
class SwarmRounds:
    """How the review's members are organised: a swarm (consensus rules, round limit, time
    box) or, ``by_area``, hub-and-spoke (each area of the diff to the specialists it needs)."""

    rules: tuple[ConsensusRule, ...] = (ConsensusRule(kind="no_new_contributions"),)
    max_iterations: int = 1
    time_box_seconds: float | None = None
    by_area: bool = False  # hub-and-spoke: one pass, each area to the specialists it needs


class ReviewerNote(BaseModel):
    """How one swarm member's part went, for the check run's summary."""

    model_config = ConfigDict(frozen=True)

    member: str
    status: str
    findings: int


class ReviewResult(BaseModel):
    """The swarm's merged findings, verdict, consensus and what it could not review."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[MergedFinding, ...]
    event: ReviewEvent
    members: tuple[ReviewerNote, ...]
    not_reviewed: tuple[str, ...]
    summary: str
    consensus: ConsensusState = ConsensusState()


@dataclass
class _Swarm:
    """What the rounds share: the change, the team, the reviewers and the blackboard."""

    team: Team
    checkout: Path
    files: Sequence[FileDiff]
    split: ReviewSplit[FileDiff]
    spec: SpecText | None
    reviewers: list[str]
    policy: ReviewPolicy
    checkpoints: MemberCheckpoints
    record: Record
    board: Blackboard = field(default_factory=Blackboard)
    reports: list[ReviewerReport] = field(default_factory=list)
    notes: list[ReviewerNote] = field(default_factory=list)


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
    rounds: SwarmRounds | None = None,
    checkpoints: MemberCheckpoints | None = None,
    record: Record = _not_recorded,
) -> ReviewResult:
    """Run the swarm's rounds on every batch, merge the findings and decide.

    ``earlier``: the findings of earlier reviews as ``render_earlier`` lists them. Without a
    spec the spec-conformance reviewer has nothing to check against and is not run.
    """
    rounds = rounds if rounds is not None else SwarmRounds()
    skipped = [] if spec is not None or SPEC_REVIEWER not in reviewers else [SPEC_REVIEWER]
    swarm = _Swarm(
        team=team,
        checkout=checkout,
        files=files,
        split=split_for_review(list(files), budget_tokens, max_batches=DEFAULT_MAX_BATCHES),
        spec=spec,
        reviewers=[name for name in reviewers if name not in skipped],
        policy=policy,
        checkpoints=checkpoints if checkpoints is not None else InMemoryCheckpoints(),
        record=record,
    )
    if rounds.by_area:
        _run_by_area(swarm, pull, title, earlier, budget_tokens, rounds, with_analysers)
    else:
        _run_rounds(swarm, pull, title, earlier, rounds, with_analysers)
    swarm.notes += [ReviewerNote(member=n, status="not run: no spec", findings=0) for n in skipped]
    return _synthesis(swarm, already_posted)


def _run_rounds(
    swarm: _Swarm, pull: int, title: str, earlier: str, rounds: SwarmRounds, with_analysers: bool
) -> None:
    """The swarm: rounds of every reviewer on every batch until a consensus rule holds."""
    started = time.monotonic()
    for iteration in range(1, rounds.max_iterations + 1):
        jobs = _jobs(swarm, pull, title, earlier, iteration)
        _run_round(swarm, jobs, iteration, with_analysers=with_analysers and iteration == 1)
        swarm.board.consensus = decide_consensus(
            swarm.board,
            rounds.rules,
            iteration=iteration,
            elapsed_seconds=time.monotonic() - started,
            time_box_seconds=rounds.time_box_seconds,
        )
        if swarm.board.consensus.reached:
            return
    swarm.board.consensus = out_of_rounds(rounds.max_iterations)


def _jobs(swarm: _Swarm, pull: int, title: str, earlier: str, iteration: int) -> list[ReviewerJob]:
    """Every (reviewer, batch) of one round; a later round lists what the swarm found so far."""
    so_far = findings_so_far(merge_findings(swarm.reports), iteration)
    batches = swarm.split.batches
    jobs: list[ReviewerJob] = []
    for index, batch in enumerate(batches, start=1):
        note = f" (part {index} of {len(batches)})" if len(batches) > 1 else ""
        context = shared_context(swarm.spec, render_batch(batch))
        task = reviewer_task(pull, title, note, earlier) + so_far
        jobs.extend(
            ReviewerJob(f"{name}#{index}@{iteration}", name, task, context)
            for name in swarm.reviewers
        )
    return jobs


def _run_by_area(
    swarm: _Swarm,
    pull: int,
    title: str,
    earlier: str,
    budget_tokens: int,
    rounds: SwarmRounds,
    with_analysers: bool,
) -> None:
    """Hub-and-spoke: one task per area for the specialists it needs, recorded as sent."""
    tasks = plan_areas(swarm.split, swarm.reviewers, budget_tokens)
    jobs: list[ReviewerJob] = []
    for seq, task in enumerate(tasks):
        context = shared_context(swarm.spec, render_batch(task.files))
        note = f" (the `{task.area}` area{task.part})"
        for reviewer in task.reviewers:
            message = task_message(task, reviewer, pull, seq, rounds.time_box_seconds)
            swarm.record("review.task", message.model_dump(mode="json"), len(jobs))
            text = reviewer_task(pull, title, note, earlier)
            jobs.append(ReviewerJob(f"{reviewer}#{task.task_id}@1", reviewer, text, context))
    _run_round(swarm, jobs, 1, with_analysers=with_analysers)
    areas = len({task.area for task in tasks})
    swarm.board.consensus = ConsensusState(
        reached=True,
        rule="hub-and-spoke",
        reason=f"{len(jobs)} task(s) over {areas} area(s), each read by its specialists",
        iteration=1,
    )


def _run_round(
    swarm: _Swarm, jobs: Sequence[ReviewerJob], iteration: int, *, with_analysers: bool
) -> None:
    """One round's members; their contributions on the blackboard and in the event log."""
    outcomes, analysed = run_members(
        swarm.team,
        swarm.checkout,
        swarm.files,
        jobs,
        with_analysers=with_analysers,
        checkpoints=swarm.checkpoints,
    )
    reports, notes = _collect(outcomes, analysed, iteration)
    by_member: dict[str, list[ReviewerReport]] = defaultdict(list)
    for report in reports:
        by_member[report.reviewer].append(report)
    for note in notes:
        if note.status.startswith("failed"):
            swarm.board.missing.append(f"{note.member}: {note.status}")
    for seq, (member, own) in enumerate(sorted(by_member.items())):
        contribution = _contribution(member, own, iteration, swarm.policy)
        swarm.board.contributions.append(contribution)
        swarm.record(
            "review.contribution", _contribution_entry(contribution, own), iteration * 1000 + seq
        )
    swarm.reports += reports
    swarm.notes += notes


def _contribution(
    member: str, reports: Sequence[ReviewerReport], iteration: int, policy: ReviewPolicy
) -> Contribution:
    """A member's reports of one round as the blackboard holds them: what, how sure, its vote."""
    own = merge_findings(reports)
    confidences = [item.finding.confidence for item in own]
    return Contribution(
        agent=member,
        iteration=iteration,
        findings=tuple(item.fingerprint for item in own),
        confidence=sum(confidences) / len(confidences) if confidences else None,
        verdict=decide(own, policy).value,
    )


def _contribution_entry(
    contribution: Contribution, reports: Sequence[ReviewerReport]
) -> dict[str, Any]:
    listed = [
        {"path": f.path, "line": f.line, "severity": f.severity.value, "kind": f.kind}
        for report in reports
        for f in report.submission.findings
    ]
    return {**contribution.model_dump(mode="json"), "listed": listed}


def _synthesis(swarm: _Swarm, already_posted: Iterable[str]) -> ReviewResult:
    """Merge every round's findings, decide the verdict, write both to the event log."""
    merged = merge_findings(swarm.reports, already_posted)
    event = decide(merged, swarm.policy)
    swarm.record(
        "review.merged",
        {
            "findings": [
                {"fingerprint": m.fingerprint, "path": m.finding.path, "reviewers": m.reviewers}
                for m in merged
            ],
            "missing": swarm.board.missing,
        },
        0,
    )
    consensus = swarm.board.consensus
    swarm.record(
        "review.synthesis",
        {"event": event.value, "findings": len(merged), **consensus.model_dump(mode="json")},
        0,
    )
    not_reviewed = tuple(f"{item.path} ({item.reason})" for item in swarm.split.not_reviewed)
    return ReviewResult(
        findings=tuple(merged),
        event=event,
        members=tuple(swarm.notes),
        not_reviewed=not_reviewed,
        summary=_summary(merged, event, swarm.notes),
        consensus=consensus,
    )


def _collect(
    outcomes: Sequence[tuple[ReviewerJob, Outcome]],
    analysed: Sequence[AnalyserOutcome],
    iteration: int,
) -> tuple[list[ReviewerReport], list[ReviewerNote]]:
    reports: list[ReviewerReport] = []
    notes: list[ReviewerNote] = []
    for job, outcome in outcomes:
        name = job.reviewer if iteration == 1 else f"{job.reviewer} (round {iteration})"
        if isinstance(outcome, BaseException):
            notes.append(ReviewerNote(member=name, status=f"failed: {outcome}"[:200], findings=0))
            continue
        if outcome.submission is None:  # refused, limited or stopped: the loop says which
            status = f"no review ({outcome.status}: {outcome.message})"[:200]
            notes.append(ReviewerNote(member=name, status=status, findings=0))
            continue
        submission = ReviewSubmission.model_validate(outcome.submission)
        notes.append(
            ReviewerNote(member=name, status="reviewed", findings=len(submission.findings))
        )
        reports.append(ReviewerReport(reviewer=job.reviewer, submission=submission))
    for item in analysed:
        # A skipped or failed analyser says why (not installed, no local rules, a crash).
        status = item.status.value
        if item.status is not AnalyserStatus.OK:
            status = f"{status}: {item.detail}"[:200]
        notes.append(ReviewerNote(member=item.analyser, status=status, findings=item.kept))
        if item.status is AnalyserStatus.OK or item.report.submission.findings:
            reports.append(item.report)  # one that did not run has no say in the vote
    return reports, notes


def _summary(
    findings: Sequence[MergedFinding], event: ReviewEvent, notes: Sequence[ReviewerNote]
) -> str:
    verdict = "changes requested" if event is ReviewEvent.REQUEST_CHANGES else "no blocking problem"
    members = ", ".join(f"{note.member} ({note.status}, {note.findings})" for note in notes)
    return f"specbot review: {len(findings)} finding(s), {verdict}. Reviewers: {members}."
