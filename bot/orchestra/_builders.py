"""From the team configuration to runnable definitions: a flow's agents, order, retry policy,
consensus rules and limits come from ``.github/specbot.yml``; the code supplies what each agent
does."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from bot.orchestra._pipeline import Pipeline, Stage
from bot.orchestra.config import FlowConfig, TeamConfig


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


def _flow(team: TeamConfig, flow_name: str, pattern: str) -> FlowConfig:
    try:
        flow = team.flows[flow_name]
    except KeyError:
        raise FlowConfigError(f"no flow named {flow_name!r} in the configuration") from None
    if flow.pattern != pattern:
        raise FlowConfigError(f"flow {flow_name!r} is a {flow.pattern}, not a {pattern}")
    return flow
