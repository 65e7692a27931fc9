"""The swarm pattern as a durable workflow: a blind parallel round of agents, then synthesis."""

from __future__ import annotations

import time

from dbos import DBOS, SetWorkflowID

from bot.adapters.durable import _runtime
from bot.adapters.durable._settings import FINAL_STATUSES
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
    timed = swarm.time_box_seconds is not None
    started = _clock(timed)
    for iteration in range(1, swarm.max_iterations + 1):
        view = AgentView(
            artifact=artifact, iteration=iteration, prior_findings=board.merged_findings()
        ).model_dump(mode="json")
        remaining = None
        if swarm.time_box_seconds is not None:
            remaining = max(swarm.time_box_seconds - (_clock(timed) - started), 0.05)
        children: dict[str, str] = {}
        for agent in swarm.agents:
            with SetWorkflowID(f"{run_id}/{agent.name}@{iteration}"):
                handle = DBOS.start_workflow(swarm_agent_workflow, swarm_name, agent.name, view)
            children[agent.name] = handle.workflow_id
        deadline = None if remaining is None else time.time() + remaining
        outcomes = DBOS.run_step({"name": f"gather:{iteration}"}, _gather, children, deadline)
        _collect(board, outcomes, iteration)
        elapsed = _clock(timed) - started
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


def _clock(timed: bool) -> float:
    """The time, recorded as a step so a replay sees the same; only a time box needs it."""
    return float(DBOS.run_step({"name": "clock"}, time.time)) if timed else 0.0


def _gather(children: dict[str, str], deadline: float | None) -> dict[str, JsonObject]:
    """Wait for the round's agents until all are done or the time box ends; cancel stragglers.

    A step, so which agents made it into the round is recorded once and replayed as is.
    """
    outcomes: dict[str, JsonObject] = {}
    waiting = dict(children)
    while waiting:
        found = DBOS.list_workflows(workflow_ids=list(waiting.values()), load_input=False)
        by_id = {status.workflow_id: status for status in found}
        for agent_name, workflow_id in list(waiting.items()):
            status = by_id.get(workflow_id)
            if status is None or status.status not in FINAL_STATUSES:
                continue
            del waiting[agent_name]
            if status.status == "SUCCESS":
                outcomes[agent_name] = {"report": status.output}
            else:
                outcomes[agent_name] = {"error": f"{status.status}: {status.error}"}
        if waiting and deadline is not None and time.time() >= deadline:
            for agent_name, workflow_id in waiting.items():
                DBOS.cancel_workflow(workflow_id)
                outcomes[agent_name] = {"error": "still working when the time box ended"}
            break
        if waiting:
            time.sleep(0.01)
    return outcomes


def _collect(board: Blackboard, outcomes: dict[str, JsonObject], iteration: int) -> None:
    for agent_name, outcome in sorted(outcomes.items()):
        if "report" not in outcome:
            board.missing.append(f"{agent_name}@{iteration}: {outcome['error']}")
            continue
        report = AgentReport.model_validate(outcome["report"])
        board.contributions.append(
            Contribution(agent=agent_name, iteration=iteration, **report.model_dump())
        )
