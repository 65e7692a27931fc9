"""The hub-and-spoke coordinator: task messages, dispatch on a queue, tracking, synthesis."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from bot.orchestra import (
    Catalog,
    Coordinator,
    Hierarchy,
    Role,
    TaskMessage,
    TaskPayload,
    TaskRegistry,
)
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger


def test_coordinator_dispatches_tracks_retries_and_synthesises(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Every task runs once to success (the flaky one after one retry) and the synthesis has all."""
    engine = start_engine(flows.catalog)
    run = engine.start_coordinator("hub", {"id": "req-1", "parts": 3}, workflow_id="hub-1")
    result = engine.result(run, timeout=30)
    assert result["synthesis"]["outputs"] == {
        "part-0": {"done": "do part 0"},
        "part-1": {"done": "do part 1"},
        "part-2": {"done": "do part 2"},
    }
    assert result["synthesis"]["failed"] == {}
    attempts = {r["task_id"]: r["attempts"] for r in result["results"]}
    assert attempts == {"part-0": 1, "part-1": 2, "part-2": 1}
    for part in range(3):
        assert ledger.count("task-effect", f"req-1:part-{part}") == 1
    registry = engine.task_registry(run)
    assert registry is not None and registry.is_complete() and registry.in_flight() == []
    assert sorted(engine.children(run)) == [
        "hub-1/task:part-0#1",
        "hub-1/task:part-1#1",
        "hub-1/task:part-1#2",
        "hub-1/task:part-2#1",
    ]


def _task(task_id: str, agent: str, action: str) -> TaskMessage:
    return TaskMessage(
        task_id=task_id, agent=agent, action=action, payload=TaskPayload(objective=task_id)
    )


def test_tasks_outside_authority_escalate_and_unknown_ones_fail(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A task the target may not decide goes up to its manager; one nobody may decide fails."""
    hierarchy = Hierarchy(
        [
            Role(name="lead", authority=["merge", "review.*"], delegates_to=["dev"]),
            Role(name="dev", authority=["code"], escalates_to="lead"),
        ]
    )
    coordinator = Coordinator(
        "org",
        decompose=lambda request: [
            _task("t1", "dev", "code"),
            _task("t2", "dev", "merge"),
            _task("t3", "dev", "deploy"),
        ],
        specialists={"dev": lambda task: {"by": "dev"}, "lead": lambda task: {"by": "lead"}},
        hierarchy=hierarchy,
    )
    engine = start_engine(Catalog().add(*flows.FAST_QUEUES, coordinator))
    result = engine.result(engine.start_coordinator("org", {}, workflow_id="org-1"), timeout=30)
    assert result["synthesis"]["outputs"] == {"t1": {"by": "dev"}, "t2": {"by": "lead"}}
    assert "outside the authority of dev -> lead" in result["synthesis"]["failed"]["t3"]


def test_task_message_carries_the_mission_fields() -> None:
    """The message holds ids, target, priority, payload, deadline and retry; junk is refused."""
    task = TaskMessage.model_validate(
        {
            "task_id": "t-1",
            "parent_id": "run-9",
            "agent": "implementer",
            "priority": 2,
            "payload": {
                "objective": "add login",
                "context": {"issue": 4},
                "constraints": ["no new deps"],
                "output_format": "diff",
            },
            "deadline_seconds": 600,
            "retry": {"max_attempts": 3, "interval_seconds": 5, "backoff_rate": 2},
        }
    )
    assert task.retry.delays() == [5.0, 10.0]
    with pytest.raises(ValidationError):
        TaskMessage.model_validate({"task_id": "t 1", "agent": "x", "payload": {"objective": "y"}})
    with pytest.raises(ValidationError):
        TaskMessage.model_validate({"task_id": "t", "agent": "x", "payload": {"objective": ""}})


def test_registry_orders_by_priority_and_refuses_duplicate_ids() -> None:
    """Most urgent first; a task id used twice is an error."""
    urgent = _task("b", "x", "work").model_copy(update={"priority": 1})
    later = _task("a", "x", "work").model_copy(update={"priority": 9})
    registry = TaskRegistry.of([later, urgent])
    assert [t.task_id for t in registry.dispatch_order()] == ["b", "a"]
    with pytest.raises(ValueError, match="used twice"):
        TaskRegistry.of([urgent, urgent])


def test_a_task_past_its_deadline_fails_without_holding_up_the_rest(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A specialist still working at its task's deadline is cancelled; the others complete."""
    released = threading.Event()

    def slow_or_fast(task: TaskMessage) -> dict[str, object]:
        if task.task_id == "slow":
            released.wait(60)  # never done in time: only the deadline can end the run
        return {"ok": task.task_id}

    tasks = [
        _task("fast", "dev", "work"),
        _task("slow", "dev", "work").model_copy(update={"deadline_seconds": 0.3}),
    ]
    coordinator = Coordinator("timed", decompose=lambda r: tasks, specialists={"dev": slow_or_fast})
    engine = start_engine(Catalog().add(*flows.FAST_QUEUES, coordinator))
    engine_log = _Records()
    logging.getLogger("dbos").addHandler(engine_log)
    try:
        run = engine.start_coordinator("timed", {}, workflow_id="timed-1")
        result = engine.result(run, timeout=30)
        released.set()
        # The released task finds its run cancelled: the engine would log a traceback for it.
        engine_log.wait_for(lambda r: r.exc_info is not None, timeout=3.0)
    finally:
        released.set()
        logging.getLogger("dbos").removeHandler(engine_log)
    # Only this run's records: another test's leftover work may log through the same logger.
    about_this_run = [r for r in engine_log.records if "timed-1" in _text(r)]
    assert about_this_run == []
    assert result["synthesis"]["outputs"] == {"fast": {"ok": "fast"}}
    assert "cancelled" in result["synthesis"]["failed"]["slow"].lower()


class _Records(logging.Handler):
    """Keeps every record it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def wait_for(self, matches: Callable[[logging.LogRecord], bool], timeout: float = 15.0) -> None:
        """Return once a kept record matches, or quietly when ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not any(matches(r) for r in self.records) and time.monotonic() < deadline:
            time.sleep(0.05)


def _text(record: logging.LogRecord) -> str:
    """A record's message and the text of its exception, if any."""
    error = record.exc_info[1] if record.exc_info else None
    return f"{record.getMessage()} {error!s}"
