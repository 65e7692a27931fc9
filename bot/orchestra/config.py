"""The team section of ``.github/specbot.yml``: ``agents:`` and ``flows:``.

Both have defaults, so an empty file describes specbot's standard team: a planner and an
implementer in a pipeline, five reviewers in a swarm, and a lead above them. Agent names match
the built-in roles (``bot/agents/data/roles.yaml``), whose prompt, tools and limits apply to
whatever an entry leaves unset. A
repository's entries are merged over the defaults by name (``agents: {implementer: {model: X}}``
changes only the implementer's model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.orchestra._contracts import RetryPolicy
from bot.orchestra._events import check_pattern
from bot.orchestra._hierarchy import Hierarchy, Role
from bot.orchestra._swarm import ConsensusRule

_NAME = r"^[a-z][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentLimits(_Strict):
    """What one agent run may spend; an unset limit keeps the role's built-in one."""

    max_turns: int | None = Field(default=None, ge=1, le=500)
    max_tokens: int | None = Field(default=None, ge=1_000)
    max_seconds: float | None = Field(default=None, gt=0, le=86_400)
    max_output_tokens: int | None = Field(default=None, ge=1, le=128_000)
    max_cost_usd: float | None = Field(default=None, gt=0, le=1_000)


class AgentConfig(_Strict):
    """One agent: its role, model, prompt, tools, limits and written authority."""

    role: str = Field(min_length=1, description="What the agent does, in a few words.")
    model: str | None = Field(default=None, description="Model id; default SPECBOT_MODEL.")
    thinking_budget: int | None = Field(
        default=None, ge=1024, le=128_000, description="Extended thinking tokens per call."
    )
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = Field(
        default=None, description="Adaptive thinking at this effort (newer models)."
    )
    prompt: str | None = Field(
        default=None,
        description="A built-in prompt name or a path in the repository; default the agent's name.",
    )
    tools: list[str] | None = Field(
        default=None,
        description="Tool ids (editor, viewer, bash, grep, glob, submit_review, submit_plan).",
    )
    limits: AgentLimits = Field(default_factory=AgentLimits)
    authority: list[str] = Field(
        default_factory=list, description="Actions this agent may decide (globs allowed)."
    )
    delegates_to: list[str] = Field(default_factory=list)
    escalates_to: str | None = None


GateCheck = Literal[
    "spec_ready", "tests_pass", "max_findings", "min_confidence", "max_cost_usd", "max_rounds"
]


class QualityGate(_Strict):
    """A condition a flow's result must meet before it moves on."""

    check: GateCheck
    threshold: float | None = Field(default=None, ge=0)
    severity: Literal["critical", "major", "minor", "nit"] | None = None

    @model_validator(mode="after")
    def _threshold_where_needed(self) -> QualityGate:
        needs = {"max_findings", "min_confidence", "max_cost_usd", "max_rounds"}
        if self.check in needs and self.threshold is None:
            raise ValueError(f"gate {self.check!r} needs a threshold")
        return self


PatternName = Literal["pipeline", "swarm", "coordinator", "hierarchy", "events"]


class FlowConfig(_Strict):
    """Which pattern serves which trigger, with its agents, parameters and quality gates."""

    pattern: PatternName
    triggers: list[str] = Field(min_length=1, description="Event types or patterns.")
    agents: list[str] = Field(min_length=1, description="Agents in order (pipeline stages).")
    enabled: bool = True
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    consensus: list[ConsensusRule] = Field(default_factory=list)
    max_iterations: int = Field(default=1, ge=1, le=20)
    time_box_seconds: float | None = Field(default=None, gt=0)
    max_rounds: int = Field(default=3, ge=0, le=20, description="Follow-up rounds allowed.")
    concurrency_per_repository: int = Field(default=2, ge=1, le=100)
    gates: list[QualityGate] = Field(default_factory=list)

    @field_validator("triggers")
    @classmethod
    def _triggers_are_event_patterns(cls, triggers: list[str]) -> list[str]:
        for trigger in triggers:
            check_pattern(trigger)
        return triggers


REVIEWERS = ("security", "correctness", "performance", "style", "spec-conformance")

DEFAULT_AGENTS: dict[str, AgentConfig] = {
    "lead": AgentConfig(
        role="lead: accepts plans, settles escalations, merges the review",
        authority=["*"],
        delegates_to=["planner", "implementer", *REVIEWERS],
    ),
    "planner": AgentConfig(
        role="plans the change from the spec", authority=["plan"], escalates_to="lead"
    ),
    "implementer": AgentConfig(
        role="writes the change and its tests",
        authority=["code", "test", "commit"],
        escalates_to="lead",
    ),
    **{
        name: AgentConfig(
            role=f"{name} reviewer", authority=[f"review.{name}"], escalates_to="lead"
        )
        for name in REVIEWERS
    },
}

DEFAULT_FLOWS: dict[str, FlowConfig] = {
    "implement": FlowConfig(
        pattern="pipeline",
        triggers=["spec.ready"],
        agents=["planner", "implementer"],
        gates=[QualityGate(check="spec_ready"), QualityGate(check="tests_pass")],
        concurrency_per_repository=1,
    ),
    "review": FlowConfig(
        pattern="swarm",
        triggers=["pull_request.opened", "pull_request.synchronize", "command.review"],
        agents=list(REVIEWERS),
        consensus=[ConsensusRule(kind="majority"), ConsensusRule(kind="no_new_contributions")],
        time_box_seconds=900,
        gates=[QualityGate(check="max_findings", threshold=0, severity="critical")],
    ),
    "follow-up": FlowConfig(
        pattern="pipeline",
        triggers=["review.changes_requested", "comment.mention"],
        agents=["implementer"],
        max_rounds=3,
        concurrency_per_repository=1,
    ),
}


class TeamConfig(_Strict):
    """``agents:`` and ``flows:`` of ``.github/specbot.yml``, merged over the defaults."""

    agents: dict[str, AgentConfig] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    flows: dict[str, FlowConfig] = Field(default_factory=lambda: dict(DEFAULT_FLOWS))
    max_escalation_depth: int = Field(default=3, ge=0, le=10)

    @field_validator("agents", mode="before")
    @classmethod
    def _merge_agents(cls, value: Any) -> Any:
        return _merge_over(DEFAULT_AGENTS, value)

    @field_validator("flows", mode="before")
    @classmethod
    def _merge_flows(cls, value: Any) -> Any:
        return _merge_over(DEFAULT_FLOWS, value)

    @field_validator("agents")
    @classmethod
    def _agents_form_a_hierarchy(cls, agents: dict[str, AgentConfig]) -> dict[str, AgentConfig]:
        for name in agents:
            if not _is_name(name):
                raise ValueError(f"agent name {name!r}: lowercase letters, digits, '-' or '_'")
        _hierarchy(agents, max_depth=10)
        return agents

    @field_validator("flows")
    @classmethod
    def _flows_name_known_agents(
        cls, flows: dict[str, FlowConfig], info: ValidationInfo
    ) -> dict[str, FlowConfig]:
        agents = info.data.get("agents")
        if agents is None:
            return flows  # the agents failed validation; that error is reported already
        for flow_name, flow in flows.items():
            unknown = [agent for agent in flow.agents if agent not in agents]
            if unknown:
                raise ValueError(f"flow {flow_name!r} names unknown agents: {', '.join(unknown)}")
        return flows

    def hierarchy(self) -> Hierarchy:
        """The agents as a hierarchy of roles (authority, delegation, escalation)."""
        return _hierarchy(self.agents, max_depth=self.max_escalation_depth)

    def flows_for(self, event_type: str) -> list[str]:
        """Names of the enabled flows whose triggers match ``event_type``."""
        from bot.orchestra._events import matches

        return [
            name
            for name, flow in self.flows.items()
            if flow.enabled and any(matches(trigger, event_type) for trigger in flow.triggers)
        ]


def _hierarchy(agents: Mapping[str, AgentConfig], *, max_depth: int) -> Hierarchy:
    roles = [
        Role(
            name=name,
            authority=agent.authority,
            delegates_to=agent.delegates_to,
            escalates_to=agent.escalates_to,
        )
        for name, agent in agents.items()
    ]
    return Hierarchy(roles, max_depth=max_depth)


def _is_name(name: str) -> bool:
    import re

    return re.match(_NAME, name) is not None


def _merge_over(defaults: Mapping[str, BaseModel], given: Any) -> Any:
    """Entries given by the repository over the defaults: a partial entry changes only its
    fields; ``null`` removes a default entry."""
    if given is None:
        return dict(defaults)
    if not isinstance(given, dict):
        return given  # let pydantic report the type error at the right place
    merged: dict[str, Any] = {name: model.model_dump() for name, model in defaults.items()}
    for name, entry in given.items():
        if entry is None:
            merged.pop(name, None)
        elif isinstance(entry, dict) and name in merged:
            merged[name] = {**merged[name], **entry}
        else:
            merged[name] = entry
    return merged
