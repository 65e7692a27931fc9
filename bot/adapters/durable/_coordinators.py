"""The hub-and-spoke pattern as a durable workflow: dispatch on a queue, track, synthesise."""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID, SetWorkflowTimeout, WorkflowHandle

from bot.adapters.durable import _runtime
from bot.orchestra import Coordinator, JsonObject, TaskMessage, TaskRegistry

COORDINATOR_WORKFLOW = "specbot.coordinator"
REGISTRY_EVENT = "registry"


def _decompose(name: str, request: JsonObject) -> list[JsonObject]:
    coordinator = _runtime.active().catalog.coordinator(name)
    tasks = [TaskMessage.model_validate(task) for task in coordinator.decompose(request)]
    TaskRegistry.of(tasks)  # refuses duplicate task ids before anything is dispatched
    return [task.model_dump(mode="json") for task in tasks]


def _run_specialist(name: str, target: str, task: JsonObject) -> JsonObject:
    coordinator = _runtime.active().catalog.coordinator(name)
    output = coordinator.specialists[target](TaskMessage.model_validate(task))
    if not isinstance(output, dict):
        raise TypeError(f"specialist {target!r} returned {type(output).__name__}, not a dict")
    return output


@DBOS.workflow(name="specbot.specialist")
def specialist_workflow(name: str, target: str, task: JsonObject) -> JsonObject:
    """One task run by one specialist, on the coordinator's queue (any worker may take it)."""
    return DBOS.run_step({"name": f"specialist:{target}"}, _run_specialist, name, target, task)


@DBOS.workflow(name=COORDINATOR_WORKFLOW)
def coordinator_workflow(name: str, request: JsonObject) -> JsonObject:
    """Decompose, dispatch without waiting in turn, track completions and retries, synthesise."""
    coordinator = _runtime.active().catalog.coordinator(name)
    run_id = DBOS.workflow_id or "local"
    tasks = DBOS.run_step({"name": "decompose"}, _decompose, name, request)
    registry = TaskRegistry.of([TaskMessage.model_validate(task) for task in tasks])
    in_flight: dict[str, WorkflowHandle[Any]] = {}
    while not registry.is_complete():
        _dispatch(coordinator, registry, in_flight, run_id)
        DBOS.set_event(REGISTRY_EVENT, registry.model_dump(mode="json"))
        if not in_flight:
            continue
        done = DBOS.wait_first(list(in_flight.values()), polling_interval_sec=0.05)
        task_id = next(key for key, handle in in_flight.items() if handle is done)
        del in_flight[task_id]
        try:
            registry.mark_finished(task_id, done.get_result(polling_interval_sec=0.05))
        except Exception as exc:  # back to pending if its retry policy allows another attempt
            registry.mark_failed(task_id, f"{type(exc).__name__}: {exc}")
    results = registry.results()
    synthesis = DBOS.run_step({"name": "synthesize"}, coordinator.synthesize, results)
    DBOS.set_event(REGISTRY_EVENT, registry.model_dump(mode="json"))
    return {"synthesis": synthesis, "results": [r.model_dump(mode="json") for r in results]}


def _dispatch(
    coordinator: Coordinator,
    registry: TaskRegistry,
    in_flight: dict[str, WorkflowHandle[Any]],
    run_id: str,
) -> None:
    for task in registry.dispatch_order():
        if len(in_flight) >= coordinator.max_in_flight:
            return
        try:
            target = coordinator.resolve_target(task)
        except (PermissionError, KeyError) as exc:
            registry.mark_refused(task.task_id, f"not dispatched: {exc}")
            continue
        attempt = registry.mark_dispatched(task.task_id, target)
        # A retry waits out its backoff on the queue, not in the coordinator, which keeps
        # tracking the other tasks meanwhile.
        delay = task.retry.delays()[attempt - 2] if attempt > 1 else None
        with (
            SetWorkflowID(f"{run_id}/task:{task.task_id}#{attempt}"),
            SetEnqueueOptions(priority=task.priority, delay_seconds=delay),
            SetWorkflowTimeout(task.deadline_seconds),
        ):
            in_flight[task.task_id] = DBOS.enqueue_workflow(
                coordinator.queue,
                specialist_workflow,
                coordinator.name,
                target,
                task.model_dump(mode="json"),
            )
