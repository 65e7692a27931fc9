"""The swarm pattern as a durable workflow: a blind parallel round of agents, then synthesis."""

from __future__ import annotations

import time
from typing import Any

from dbos import DBOS, SetWorkflowID, SetWorkflowTimeout, WorkflowHandle

from bot.adapters.durable import _runtime
from bot.orchestra import (
    AgentReport,
    AgentView,
    Blackboard,
    ConsensusState,
    Contribution,
    JsonObject,
    decide_consensus,
)

SWARM_WORKFLOW = "specbot.swarm"
BLACKBOARD_EVENT = "blackboard"


def _run_agent(swarm_name: str, agent_name: str, view: JsonObject) -> JsonObject:
    agent = _runtime.active().catalog.swarm(swarm_name).agent(agent_name)
    report = agent.run(AgentView.model_validate(view))
    return AgentReport.model_validate(report).model_dump(mode="json")


@DBOS.workflow(name="specbot.swarm_agent")
def swarm_agent_workflow(swarm_name: str, agent_name: str, view: JsonObject) -> JsonObject:
    """One agent's contribution to one round, as its own workflow so agents run in parallel."""
    return DBOS.run_step({"name": f"agent:{agent_name}"}, _run_agent, swarm_name, agent_name, view)


@DBOS.workflow(name=SWARM_WORKFLOW)
def swarm_workflow(swarm_name: str, artifact: JsonObject) -> JsonObject:
    """Rounds of blind contributions until consensus or the iteration limit, then synthesis."""
    swarm = _runtime.active().catalog.swarm(swarm_name)
    run_id = DBOS.workflow_id or "local"
    board = Blackboard(artifact=artifact)
    started = DBOS.run_step({"name": "clock"}, time.time)
    for iteration in range(1, swarm.max_iterations + 1):
        view = AgentView(
            artifact=artifact, iteration=iteration, prior_findings=board.merged_findings()
        ).model_dump(mode="json")
        remaining = None
        if swarm.time_box_seconds is not None:
            used = DBOS.run_step({"name": "clock"}, time.time) - started
            remaining = max(swarm.time_box_seconds - used, 0.05)
        handles: list[tuple[str, WorkflowHandle[Any]]] = []
        for agent in swarm.agents:
            with (
                SetWorkflowID(f"{run_id}/{agent.name}@{iteration}"),
                SetWorkflowTimeout(remaining),
            ):
                handle = DBOS.start_workflow(swarm_agent_workflow, swarm_name, agent.name, view)
            handles.append((agent.name, handle))
        _collect(board, handles, iteration)
        elapsed = DBOS.run_step({"name": "clock"}, time.time) - started
        board.consensus = decide_consensus(
            board,
            swarm.rules,
            iteration=iteration,
            elapsed_seconds=elapsed,
            time_box_seconds=swarm.time_box_seconds,
        )
        DBOS.set_event(BLACKBOARD_EVENT, board.model_dump(mode="json"))
        if board.consensus.reached:
            break
    else:
        board.consensus = ConsensusState(
            reached=False,
            reason=f"iteration limit {swarm.max_iterations} reached without consensus",
            iteration=swarm.max_iterations,
        )
    board.synthesis = DBOS.run_step({"name": "synthesize"}, swarm.synthesize, board)
    result = board.model_dump(mode="json")
    DBOS.set_event(BLACKBOARD_EVENT, result)
    return result


def _collect(
    board: Blackboard, handles: list[tuple[str, WorkflowHandle[Any]]], iteration: int
) -> None:
    for agent_name, handle in handles:
        try:
            report = AgentReport.model_validate(handle.get_result(polling_interval_sec=0.05))
        except Exception as exc:  # a failed or timed-out agent leaves a gap, not a failed swarm
            board.missing.append(f"{agent_name}@{iteration}: {type(exc).__name__}: {exc}")
            continue
        board.contributions.append(
            Contribution(agent=agent_name, iteration=iteration, **report.model_dump())
        )
