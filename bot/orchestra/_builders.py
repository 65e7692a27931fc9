"""From the team configuration to runnable definitions: a flow's agents, order, retry policy,
consensus rules and limits come from ``.github/specbot.yml``; the code supplies what each agent
does."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from bot.orchestra._pipeline import Pipeline, Stage
from bot.orchestra._swarm import AgentFunction, ConsensusRule, Swarm, SwarmAgent
from bot.orchestra.config import AgentConfig, FlowConfig, TeamConfig


class FlowConfigError(ValueError):
    """A flow cannot be built: wrong pattern, or an agent the code does not provide."""


def build_pipeline(
    team: TeamConfig, flow_name: str, stages: Mapping[str, Stage], *, queue: str = "pipelines"
) -> Pipeline:
    """The pipeline of ``flow_name``: one stage per configured agent, in the configured order,
    each with the flow's retry policy."""
    flow = _flow(team, flow_name, "pipeline")
    missing = [agent for agent in flow.agents if agent not in stages]
    if missing:
        raise FlowConfigError(f"flow {flow_name!r}: no stage for agents {', '.join(missing)}")
    chosen = [dataclasses.replace(stages[agent], retry=flow.retry) for agent in flow.agents]
    return Pipeline(flow_name, chosen, queue=queue)


def build_swarm(
    team: TeamConfig,
    flow_name: str,
    make_agent: Callable[[str, AgentConfig], AgentFunction],
) -> Swarm:
    """The swarm of ``flow_name``: its agents (built by ``make_agent`` from their config),
    consensus rules, iteration limit and time box."""
    flow = _flow(team, flow_name, "swarm")
    agents = tuple(SwarmAgent(name, make_agent(name, team.agents[name])) for name in flow.agents)
    rules = tuple(flow.consensus) or (ConsensusRule(kind="no_new_contributions"),)
    return Swarm(
        flow_name,
        agents,
        rules=rules,
        max_iterations=flow.max_iterations,
        time_box_seconds=flow.time_box_seconds,
    )


def _flow(team: TeamConfig, flow_name: str, pattern: str) -> FlowConfig:
    try:
        flow = team.flows[flow_name]
    except KeyError:
        raise FlowConfigError(f"no flow named {flow_name!r} in the configuration") from None
    if flow.pattern != pattern:
        raise FlowConfigError(f"flow {flow_name!r} is a {flow.pattern}, not a {pattern}")
    return flow
