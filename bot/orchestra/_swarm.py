"""Swarm pattern: specialists contribute blind to a shared blackboard, round after round, until
a consensus rule holds or the rounds run out.

Pure. The findings themselves are the review's (``bot.review``): a contribution names each by
its fingerprint, which is what "nothing new" compares. The review runs the members (each one a
checkpointed member of its stage) and asks :func:`decide_consensus` after every round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Contribution(BaseModel):
    """One member's part of one round, as written on the blackboard."""

    model_config = ConfigDict(frozen=True)

    agent: str
    iteration: int = Field(ge=1)
    findings: tuple[str, ...] = ()  # fingerprints of what it reported
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)  # None: nothing reported
    verdict: str | None = None


class ConsensusState(BaseModel):
    """Whether the swarm agreed, by which rule, and on what verdict."""

    reached: bool = False
    rule: str | None = None
    reason: str = "not evaluated"
    iteration: int = 0
    verdict: str | None = None


class Blackboard(BaseModel):
    """The swarm's shared state: every round's contributions, who is missing, the consensus."""

    contributions: list[Contribution] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    consensus: ConsensusState = Field(default_factory=ConsensusState)

    def round(self, iteration: int) -> list[Contribution]:
        """The contributions of one round."""
        return [item for item in self.contributions if item.iteration == iteration]

    def fingerprints(self, up_to: int) -> set[str]:
        """Every finding reported in rounds 1 to ``up_to``."""
        return {key for c in self.contributions if c.iteration <= up_to for key in c.findings}


ConsensusKind = Literal["time_box", "no_new_contributions", "confidence", "majority"]


class ConsensusRule(BaseModel):
    """One way to stop: out of time, nothing new, confident enough, or a majority verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ConsensusKind
    threshold: float = Field(default=0.8, ge=0.0, le=1.0)


def decide_consensus(
    board: Blackboard,
    rules: Sequence[ConsensusRule],
    *,
    iteration: int,
    elapsed_seconds: float,
    time_box_seconds: float | None,
) -> ConsensusState:
    """Apply the rules to the board after round ``iteration``; the first rule that holds wins."""
    for rule in rules:
        reason, verdict = _check_rule(rule, board, iteration, elapsed_seconds, time_box_seconds)
        if reason:
            return ConsensusState(
                reached=True, rule=rule.kind, reason=reason, iteration=iteration, verdict=verdict
            )
    return ConsensusState(reached=False, reason="no rule held", iteration=iteration)


def out_of_rounds(iteration: int) -> ConsensusState:
    """The state of a swarm that used every round it was allowed without agreeing."""
    reason = f"iteration limit {iteration} reached without consensus"
    if iteration == 1:
        reason = "one blind round, as configured (max_iterations: 1)"
    return ConsensusState(reached=False, reason=reason, iteration=iteration)


def _check_rule(
    rule: ConsensusRule,
    board: Blackboard,
    iteration: int,
    elapsed_seconds: float,
    time_box_seconds: float | None,
) -> tuple[str, str | None]:
    latest = board.round(iteration)
    if rule.kind == "time_box":
        if time_box_seconds is not None and elapsed_seconds >= time_box_seconds:
            return f"time box of {time_box_seconds:g} s used", None
        return "", None
    if rule.kind == "no_new_contributions":
        if iteration > 1 and board.fingerprints(iteration) == board.fingerprints(iteration - 1):
            return "the last round added no new finding", None
        return "", None
    if not latest:
        return "", None
    if rule.kind == "confidence":
        sure = [c.confidence for c in latest if c.confidence is not None]
        mean = sum(sure) / len(sure) if sure else 1.0  # nobody reported anything to doubt
        if mean >= rule.threshold:
            return f"mean confidence {mean:.2f} >= {rule.threshold:.2f}", None
        return "", None
    votes = Counter(c.verdict for c in latest if c.verdict is not None)
    if votes:
        verdict, count = votes.most_common(1)[0]
        if count * 2 > len(latest):
            return f"{count} of {len(latest)} members voted {verdict}", verdict
    return "", None
