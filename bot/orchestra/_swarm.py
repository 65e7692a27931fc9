"""Swarm pattern: specialists contribute blind to a shared blackboard, then one synthesis.

Pure: the blackboard, deduplication and the consensus rules. The durable engine runs the
agents in parallel (one child workflow each) and calls :func:`decide_consensus` after each round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.orchestra._contracts import JsonObject

Severity = Literal["critical", "major", "minor", "nit"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2, "nit": 3}


class Finding(BaseModel):
    """One observation; ``key`` says what it is about and is what deduplication compares."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(min_length=1)
    message: str
    severity: Severity = "minor"
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    data: JsonObject = Field(default_factory=dict)


class AgentReport(BaseModel):
    """What one agent returns for one round."""

    findings: list[Finding] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    verdict: str | None = None
    summary: str = ""


class Contribution(AgentReport):
    """An agent's report as written on the blackboard."""

    agent: str
    iteration: int = Field(ge=1)


class MergedFinding(Finding):
    """A deduplicated finding and the agents that reported it."""

    reported_by: list[str] = Field(default_factory=list)


class ConsensusState(BaseModel):
    """Whether the swarm agreed, by which rule, and on what verdict."""

    reached: bool = False
    rule: str | None = None
    reason: str = "not evaluated"
    iteration: int = 0
    verdict: str | None = None


class Blackboard(BaseModel):
    """The swarm's shared, durable state."""

    artifact: JsonObject
    contributions: list[Contribution] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    consensus: ConsensusState = Field(default_factory=ConsensusState)
    synthesis: JsonObject | None = None

    def round(self, iteration: int) -> list[Contribution]:
        """The contributions of one round."""
        return [item for item in self.contributions if item.iteration == iteration]

    def merged_findings(self, up_to: int | None = None) -> list[MergedFinding]:
        """Every finding once, most severe and most confident first."""
        chosen = [c for c in self.contributions if up_to is None or c.iteration <= up_to]
        return deduplicate(chosen)


class AgentView(BaseModel):
    """What an agent sees: the artifact and earlier rounds' merged findings, never its peers'
    reports of the current round (the blind phase)."""

    artifact: JsonObject
    iteration: int
    prior_findings: list[MergedFinding] = Field(default_factory=list)


ConsensusKind = Literal["time_box", "no_new_contributions", "confidence", "majority"]


class ConsensusRule(BaseModel):
    """One way to stop: out of time, nothing new, confident enough, or a majority verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ConsensusKind
    threshold: float = Field(default=0.8, ge=0.0, le=1.0)


def deduplicate(contributions: Sequence[Contribution]) -> list[MergedFinding]:
    """Merge findings with the same key; keep the most confident wording and every reporter."""
    merged: dict[str, MergedFinding] = {}
    for contribution in contributions:
        for finding in contribution.findings:
            known = merged.get(finding.key)
            if known is None:
                merged[finding.key] = MergedFinding(
                    **finding.model_dump(), reported_by=[contribution.agent]
                )
                continue
            best = finding if finding.confidence > known.confidence else known
            severity = min(finding.severity, known.severity, key=SEVERITY_ORDER.__getitem__)
            reporters = sorted({*known.reported_by, contribution.agent})
            merged[finding.key] = MergedFinding(
                key=finding.key,
                message=best.message,
                severity=severity,
                confidence=max(finding.confidence, known.confidence),
                data=best.data,
                reported_by=reporters,
            )
    return sorted(merged.values(), key=lambda f: (SEVERITY_ORDER[f.severity], -f.confidence, f.key))


def decide_consensus(
    board: Blackboard,
    rules: Sequence[ConsensusRule],
    *,
    iteration: int,
    elapsed_seconds: float,
    time_box_seconds: float | None,
) -> ConsensusState:
    """Apply the rules to the board after round ``iteration``; the first rule that holds wins."""
    latest = board.round(iteration)
    for rule in rules:
        reason, verdict = _check_rule(
            rule, board, latest, iteration, elapsed_seconds, time_box_seconds
        )
        if reason:
            return ConsensusState(
                reached=True, rule=rule.kind, reason=reason, iteration=iteration, verdict=verdict
            )
    return ConsensusState(reached=False, reason="no rule held", iteration=iteration)


def _check_rule(
    rule: ConsensusRule,
    board: Blackboard,
    latest: list[Contribution],
    iteration: int,
    elapsed_seconds: float,
    time_box_seconds: float | None,
) -> tuple[str, str | None]:
    if rule.kind == "time_box":
        if time_box_seconds is not None and elapsed_seconds >= time_box_seconds:
            return f"time box of {time_box_seconds:g} s used", None
        return "", None
    if rule.kind == "no_new_contributions":
        before = {f.key for f in board.merged_findings(up_to=iteration - 1)}
        now = {f.key for f in board.merged_findings(up_to=iteration)}
        if iteration > 1 and now == before:
            return "the last round added no new finding", None
        return "", None
    if not latest:
        return "", None
    if rule.kind == "confidence":
        mean = sum(c.confidence for c in latest) / len(latest)
        if mean >= rule.threshold:
            return f"mean confidence {mean:.2f} >= {rule.threshold:.2f}", None
        return "", None
    votes = Counter(c.verdict for c in latest if c.verdict is not None)
    if votes:
        verdict, count = votes.most_common(1)[0]
        if count * 2 > len(latest):
            return f"{count} of {len(latest)} agents voted {verdict!r}", verdict
    return "", None


def synthesize_findings(board: Blackboard) -> JsonObject:
    """Default synthesis: the merged findings, most severe first, and the consensus."""
    findings = board.merged_findings()
    return {
        "findings": [finding.model_dump(mode="json") for finding in findings],
        "verdict": board.consensus.verdict,
        "agents": sorted({c.agent for c in board.contributions}),
        "missing": board.missing,
    }


AgentFunction = Callable[[AgentView], AgentReport]
Synthesizer = Callable[[Blackboard], JsonObject]


@dataclass(frozen=True)
class SwarmAgent:
    """A specialist of the swarm."""

    name: str
    run: AgentFunction


@dataclass(frozen=True)
class Swarm:
    """A swarm definition: its agents, when to stop, and how to synthesise."""

    name: str
    agents: tuple[SwarmAgent, ...]
    rules: tuple[ConsensusRule, ...] = (ConsensusRule(kind="no_new_contributions"),)
    max_iterations: int = 1
    time_box_seconds: float | None = None
    synthesize: Synthesizer = field(default=synthesize_findings)

    def __post_init__(self) -> None:
        names = [agent.name for agent in self.agents]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"swarm {self.name!r}: agents must be named uniquely: {names}")
        if self.max_iterations < 1:
            raise ValueError(f"swarm {self.name!r}: max_iterations must be >= 1")

    def agent(self, name: str) -> SwarmAgent:
        """The agent called ``name``."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(f"swarm {self.name!r} has no agent {name!r}")
