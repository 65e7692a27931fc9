"""The review swarm's members, each one checkpointed: a reviewer on one batch of one round, or
one analyser. A member whose result is kept (with the calls it paid for) is not run again when
the review starts over after a crash; only the unfinished ones are.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.agents import AgentOutcome, CallRecord, ModelCall, ModelRequest, ModelResponse
from bot.analysers import AnalyserOutcome, default_analysers, run_analysers
from bot.orchestra import MemberCheckpoints
from bot.ports import FileDiff
from bot.work._team import Team

PRIMER_TIMEOUT = 120.0  # seconds the other reviewers wait for the first one's first response


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

    def release(self) -> None:
        """Let the others go: the leader made its first call, or will make none."""
        self._primed.set()

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
                self.release()  # also when it failed: the others must not wait for nothing

        return primed_call


@dataclass(frozen=True)
class ReviewerJob:
    """One reviewer on one batch in one round; ``member`` names its checkpoint."""

    member: str
    reviewer: str
    task: str
    context: str  # the shared, cached part: spec and diff


Outcome = AgentOutcome | BaseException


def run_members(
    team: Team,
    checkout: Path,
    files: Sequence[FileDiff],
    jobs: Sequence[ReviewerJob],
    *,
    with_analysers: bool,
    checkpoints: MemberCheckpoints,
) -> tuple[list[tuple[ReviewerJob, Outcome]], list[AnalyserOutcome]]:
    """Every reviewer job in parallel (the analysers meanwhile); kept results are not rerun."""
    primers = {job.context: CachePrimer() for job in jobs}
    leaders: dict[str, int] = {}  # each shared context's first job primes its cache entry
    for index, job in enumerate(jobs):
        leaders.setdefault(job.context, index)
    outcomes: list[tuple[ReviewerJob, Outcome]] = []
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), 8))) as pool:
        futures = [
            pool.submit(
                _reviewer,
                team,
                checkout,
                job,
                checkpoints,
                primers[job.context],
                leaders[job.context] == index,
            )
            for index, job in enumerate(jobs)
        ]
        analysed = _analysers(team, checkout, files, checkpoints) if with_analysers else []
        for job, future in zip(jobs, futures, strict=True):
            try:
                outcomes.append((job, future.result()))
            except Exception as exc:  # one member failing must not sink the swarm
                outcomes.append((job, exc))
    return outcomes, analysed


def _reviewer(
    team: Team,
    checkout: Path,
    job: ReviewerJob,
    checkpoints: MemberCheckpoints,
    primer: CachePrimer,
    leader: bool,
) -> AgentOutcome:
    """One reviewer job: its kept result, or a run whose result and calls are then kept."""
    try:
        kept = checkpoints.recall(job.member)
        if kept is not None:
            team.ledger.restore(CallRecord.model_validate(call) for call in kept["calls"])
            return AgentOutcome.model_validate(kept["outcome"])
        ledger = team.ledger.branch()
        outcome = team.run(
            job.reviewer,
            job.task,
            checkout,
            shared_context=job.context,
            wrap_model=functools.partial(primer.wrap, leader=leader),
            ledger=ledger,
        )
    finally:
        if leader:
            primer.release()  # a kept or failed leader makes no first call to wait for
    checkpoints.keep(job.member, _kept(outcome, ledger.calls()))
    return outcome


def _kept(outcome: AgentOutcome, calls: Sequence[CallRecord]) -> dict[str, Any]:
    """What is kept of a finished reviewer: its outcome (not the transcript) and its calls."""
    return {
        "outcome": outcome.model_copy(update={"messages": []}).model_dump(mode="json"),
        "calls": [call.model_dump(mode="json") for call in calls],
    }


def _analysers(
    team: Team, checkout: Path, files: Sequence[FileDiff], checkpoints: MemberCheckpoints
) -> list[AnalyserOutcome]:
    """Each analyser in turn, each its own member."""
    outcomes: list[AnalyserOutcome] = []
    for analyser in default_analysers():
        member = f"analyser:{analyser.name}"
        kept = checkpoints.recall(member)
        if kept is not None:
            outcomes.append(AnalyserOutcome.model_validate(kept))
            continue
        [outcome] = run_analysers([analyser], checkout, files, isolate=team.isolate)
        checkpoints.keep(member, outcome.model_dump(mode="json"))
        outcomes.append(outcome)
    return outcomes
