"""The team section of ``.github/specbot.yml``: ``agents:`` and ``flows:``.

Both have defaults, so an empty file describes specbot's standard team: a planner and an
implementer in a pipeline (``implement``; the implementer again in ``follow-up``) and five
reviewers in a swarm (``review``). Agent names match the built-in roles
(``bot/agents/data/roles.yaml``), whose prompt, tools and limits apply to whatever an entry
leaves unset. A repository's entries are merged over the defaults by name
(``agents: {implementer: {model: X}}`` changes only the implementer's model). A repository may
add event flows: an agent of its own that answers an event specbot publishes.
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
)

from bot.orchestra._events import check_pattern, matches
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
    """One agent: what it does, its model, thinking and limits; an event flow's agent also
    takes its instructions from ``prompt`` (a file of the repository) or else ``role``."""

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
        max_length=500,
        pattern=r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$",
        description="An event flow agent's instructions: a file of the repository.",
    )
    limits: AgentLimits = Field(default_factory=AgentLimits)

    @field_validator("prompt")
    @classmethod
    def _prompt_stays_in_the_repository(cls, prompt: str | None) -> str | None:
        if prompt is not None and {"..", ".", ""} & set(prompt.split("/")):
            raise ValueError("prompt: a path inside the repository, without '..' or '.'")
        return prompt

    authority: list[str] = Field(
        default_factory=list,
        description="What the agent may decide (globs): fix, accept.<severity>.",
    )
    escalates_to: str | None = Field(
        default=None,
        description="The agent a decision outside its authority goes to; none: a person.",
    )


PatternName = Literal["pipeline", "swarm", "hub-and-spoke", "hierarchy", "events"]
# The patterns each built-in flow can run on (the first is its default).
BUILT_IN_PATTERNS: dict[str, tuple[str, ...]] = {
    "implement": ("pipeline",),
    "review": ("swarm", "hub-and-spoke"),
    "follow-up": ("pipeline", "hierarchy"),
}
# What specbot publishes that a repository's event flows may subscribe to, with the fields of
# each event's payload that ``where`` may test.
PUBLISHED_EVENTS: dict[str, tuple[str, ...]] = {
    "review.completed": (
        "repository",
        "pull",
        "head_sha",
        "conclusion",
        "event",
        "findings",
    ),
    "agent.completed": ("repository", "pull", "flow", "agent", "comment_id"),
}


class FlowConfig(_Strict):
    """One flow: the pattern that runs it, its agents, and what starts it (event flows)."""

    pattern: PatternName
    agents: list[str] = Field(min_length=1, description="Agents in order (pipeline stages).")
    enabled: bool = True
    triggers: list[str] = Field(
        default_factory=list, description="Event types or patterns (event flows)."
    )
    where: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Payload fields an event must have (event flows)."
    )
    consensus: list[ConsensusRule] = Field(default_factory=list)
    max_iterations: int = Field(default=1, ge=1, le=20)
    time_box_seconds: float | None = Field(default=None, gt=0)
    max_rounds: int = Field(default=3, ge=0, le=20, description="Follow-up rounds allowed.")

    @field_validator("triggers")
    @classmethod
    def _triggers_are_event_patterns(cls, triggers: list[str]) -> list[str]:
        for trigger in triggers:
            check_pattern(trigger)
        return triggers


REVIEWERS = ("security", "correctness", "performance", "style", "spec-conformance")

DEFAULT_AGENTS: dict[str, AgentConfig] = {
    "planner": AgentConfig(role="plans the change from the spec"),
    "implementer": AgentConfig(
        role="writes the change and its tests", authority=["fix"], escalates_to="lead"
    ),
    "lead": AgentConfig(
        role="lead reviewer: settles the findings the follow-up rounds left open",
        authority=["accept.minor", "accept.nit"],
    ),
    **{name: AgentConfig(role=f"{name} reviewer") for name in REVIEWERS},
}

DEFAULT_FLOWS: dict[str, FlowConfig] = {
    "implement": FlowConfig(pattern="pipeline", agents=["planner", "implementer"]),
    "review": FlowConfig(
        pattern="swarm",
        agents=list(REVIEWERS),
        consensus=[ConsensusRule(kind="no_new_contributions")],
        time_box_seconds=900,
    ),
    "follow-up": FlowConfig(pattern="pipeline", agents=["implementer"], max_rounds=3),
}


class TeamConfig(_Strict):
    """``agents:`` and ``flows:`` of ``.github/specbot.yml``, merged over the defaults."""

    agents: dict[str, AgentConfig] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    flows: dict[str, FlowConfig] = Field(default_factory=lambda: dict(DEFAULT_FLOWS))
    max_escalation_depth: int = Field(default=2, ge=0, le=10)

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
        hierarchy = _hierarchy(agents, max_depth=10)  # references resolve, no loop
        chain = (
            {"implementer", *hierarchy.above("implementer")} if "implementer" in agents else set()
        )
        for name, agent in agents.items():
            if name not in chain and (agent.authority or agent.escalates_to):
                raise ValueError(
                    f"agent {name!r}: authority and escalates_to are for the implementer and "
                    "the agents it escalates to"
                )
        return agents

    def event_flows(self) -> dict[str, FlowConfig]:
        """The repository's own event flows that are on, by name."""
        return {
            name: flow
            for name, flow in sorted(self.flows.items())
            if flow.pattern == "events" and flow.enabled
        }

    def hierarchy(self) -> Hierarchy:
        """The agents' written authority and escalation chains."""
        return _hierarchy(self.agents, max_depth=self.max_escalation_depth)

    @field_validator("flows")
    @classmethod
    def _flows_can_run(
        cls, flows: dict[str, FlowConfig], info: ValidationInfo
    ) -> dict[str, FlowConfig]:
        agents = info.data.get("agents")
        if agents is None:
            return flows  # the agents failed validation; that error is reported already
        for flow_name, flow in flows.items():
            if not _is_name(flow_name):
                raise ValueError(f"flow name {flow_name!r}: lowercase letters, digits, '-' or '_'")
            if len(set(flow.agents)) != len(flow.agents):
                raise ValueError(f"flow {flow_name!r} names an agent twice")
            unknown = [agent for agent in flow.agents if agent not in agents]
            if unknown:
                raise ValueError(f"flow {flow_name!r} names unknown agents: {', '.join(unknown)}")
            problem = _built_in_problem(flow_name, flow) or _event_flow_problem(flow_name, flow)
            if problem:
                raise ValueError(problem)
        return flows


def _built_in_problem(name: str, flow: FlowConfig) -> str:
    """What a built-in flow's entry sets that the flow cannot do, or ``""``."""
    default = DEFAULT_FLOWS.get(name)
    if default is None:
        return ""
    allowed = BUILT_IN_PATTERNS[name]
    if flow.pattern not in allowed:
        return f"flow {name!r} runs as {' or '.join(allowed)}, not {flow.pattern}"
    swarm_only = flow.consensus != default.consensus or flow.max_iterations != 1
    if flow.pattern == "hub-and-spoke" and swarm_only:
        return f"flow {name!r}: consensus and max_iterations are the swarm's (one pass here)"
    if flow.triggers or flow.where:
        return f"flow {name!r} starts on GitHub's events: triggers and where are for event flows"
    if name == "review":
        others = [agent for agent in flow.agents if agent not in REVIEWERS]
        if others:
            return f"flow 'review' runs built-in reviewers only ({', '.join(REVIEWERS)})"
    elif flow.agents != default.agents:
        return f"flow {name!r} has fixed agents: {', '.join(default.agents)}"
    return ""


def _event_flow_problem(name: str, flow: FlowConfig) -> str:
    """What keeps an added flow from running as an event flow, or ``""``."""
    if name in DEFAULT_FLOWS:
        return ""
    if flow.pattern != "events":
        return f"flow {name!r}: an added flow is an event flow (pattern: events)"
    if len(flow.agents) != 1 or not flow.triggers:
        return f"flow {name!r}: an event flow has one agent and at least one trigger"
    fields = {field for published in PUBLISHED_EVENTS for field in PUBLISHED_EVENTS[published]}
    unknown = sorted(set(flow.where) - fields)
    if unknown:
        known = ", ".join(sorted(fields))
        return f"flow {name!r}: no event has the field(s) {', '.join(unknown)} ({known})"
    for trigger in flow.triggers:
        if not any(matches(trigger, published) for published in PUBLISHED_EVENTS):
            return (
                f"flow {name!r}: no event matches trigger {trigger!r} "
                f"(specbot publishes {', '.join(PUBLISHED_EVENTS)})"
            )
    return ""


def _hierarchy(agents: Mapping[str, AgentConfig], *, max_depth: int) -> Hierarchy:
    roles = [
        Role(name=name, authority=agent.authority, escalates_to=agent.escalates_to)
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
