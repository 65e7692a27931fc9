"""Hub-and-spoke pattern: a coordinator decomposes a request into task messages, dispatches them
to specialists without waiting on each in turn, tracks them, and synthesises the results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.orchestra._contracts import NO_RETRY, JsonObject, RetryPolicy
from bot.orchestra._hierarchy import Hierarchy


class TaskPayload(BaseModel):
    """What the specialist is asked to do."""

    model_config = ConfigDict(extra="forbid")

    objective: str = Field(min_length=1)
    context: JsonObject = Field(default_factory=dict)
    constraints: list[str] = Field(default_factory=list)
    output_format: str = "json"


class TaskMessage(BaseModel):
    """The coordinator's structured message to a specialist."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    parent_id: str | None = None
    agent: str = Field(min_length=1)
    action: str = "work"
    priority: int = Field(default=5, ge=1, le=10)
    payload: TaskPayload
    deadline_seconds: float | None = Field(default=None, gt=0)
    retry: RetryPolicy = NO_RETRY


TaskState = Literal["pending", "in_flight", "done", "failed"]


class TaskResult(BaseModel):
    """How a task ended."""

    task_id: str
    agent: str
    status: Literal["done", "failed"]
    output: JsonObject = Field(default_factory=dict)
    error: str | None = None
    attempts: int = 1


class TaskRecord(BaseModel):
    """The registry's line for one task."""

    task: TaskMessage
    state: TaskState = "pending"
    attempts: int = 0
    assigned_to: str | None = None
    result: TaskResult | None = None


class TaskRegistry(BaseModel):
    """Every task of one coordinator run and where it stands."""

    records: dict[str, TaskRecord] = Field(default_factory=dict)

    @classmethod
    def of(cls, tasks: Sequence[TaskMessage]) -> TaskRegistry:
        """A registry of fresh tasks; task ids must be unique."""
        registry = cls()
        for task in tasks:
            if task.task_id in registry.records:
                raise ValueError(f"task id {task.task_id!r} is used twice")
            registry.records[task.task_id] = TaskRecord(task=task)
        return registry

    def dispatch_order(self) -> list[TaskMessage]:
        """Pending tasks, most urgent (lowest priority number) first, stable by id."""
        pending = [r.task for r in self.records.values() if r.state == "pending"]
        return sorted(pending, key=lambda task: (task.priority, task.task_id))

    def mark_dispatched(self, task_id: str, assigned_to: str) -> int:
        """Record a dispatch; returns the attempt number."""
        record = self.records[task_id]
        record.state = "in_flight"
        record.attempts += 1
        record.assigned_to = assigned_to
        return record.attempts

    def mark_finished(self, task_id: str, output: JsonObject) -> None:
        """Record a success."""
        record = self.records[task_id]
        record.state = "done"
        record.result = TaskResult(
            task_id=task_id,
            agent=record.assigned_to or record.task.agent,
            status="done",
            output=output,
            attempts=record.attempts,
        )

    def mark_failed(self, task_id: str, error: str) -> bool:
        """Record a failure; returns whether the task's retry policy allows another attempt."""
        record = self.records[task_id]
        if record.attempts < record.task.retry.max_attempts:
            record.state = "pending"
            return True
        record.state = "failed"
        record.result = TaskResult(
            task_id=task_id,
            agent=record.assigned_to or record.task.agent,
            status="failed",
            error=error,
            attempts=record.attempts,
        )
        return False

    def mark_refused(self, task_id: str, reason: str) -> None:
        """Record a task that cannot be dispatched at all (no retry can help)."""
        record = self.records[task_id]
        record.state = "failed"
        record.result = TaskResult(
            task_id=task_id, agent=record.task.agent, status="failed", error=reason, attempts=0
        )

    def in_flight(self) -> list[str]:
        """Ids of tasks dispatched and not finished."""
        return [task_id for task_id, r in self.records.items() if r.state == "in_flight"]

    def is_complete(self) -> bool:
        """Whether every task is done or failed for good."""
        return all(r.state in ("done", "failed") for r in self.records.values())

    def results(self) -> list[TaskResult]:
        """Results of finished tasks, in task-id order."""
        return [r.result for _, r in sorted(self.records.items()) if r.result is not None]


Decomposer = Callable[[JsonObject], list[TaskMessage]]
Specialist = Callable[[TaskMessage], JsonObject]
ResultSynthesizer = Callable[[list[TaskResult]], JsonObject]


def collect_outputs(results: list[TaskResult]) -> JsonObject:
    """Default synthesis: outputs by task id, and which tasks failed."""
    return {
        "outputs": {r.task_id: r.output for r in results if r.status == "done"},
        "failed": {r.task_id: r.error for r in results if r.status == "failed"},
    }


@dataclass(frozen=True)
class Coordinator:
    """A hub: how to decompose, which specialists exist, and how to synthesise."""

    name: str
    decompose: Decomposer
    specialists: dict[str, Specialist]
    synthesize: ResultSynthesizer = collect_outputs
    hierarchy: Hierarchy | None = None
    max_in_flight: int = 8
    queue: str = "tasks"

    def resolve_target(self, task: TaskMessage) -> str:
        """The specialist that runs ``task``: its target, or higher if outside its authority."""
        target = task.agent
        if self.hierarchy is not None:
            target = self.hierarchy.assign(task.agent, task.action).role
        if target not in self.specialists:
            raise KeyError(f"coordinator {self.name!r} has no specialist {target!r}")
        return target
