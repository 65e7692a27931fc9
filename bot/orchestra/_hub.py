"""Hub-and-spoke pattern: the coordinator's structured message to a specialist (pure).

The coordinator (the review, when a repository chooses ``pattern: hub-and-spoke``) splits the
work, sends each specialist a ``TaskMessage`` (recorded in the run's event log, so what was
dispatched is on record), runs the specialists as checkpointed members, and synthesises.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.orchestra._contracts import NO_RETRY, JsonObject, RetryPolicy


class TaskPayload(BaseModel):
    """What the specialist is asked to do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    objective: str = Field(min_length=1)
    context: JsonObject = Field(default_factory=dict)
    constraints: list[str] = Field(default_factory=list)
    output_format: str = "json"


class TaskMessage(BaseModel):
    """The coordinator's message to one specialist about one part of the work."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:@#-]+$")
    parent_id: str | None = None
    agent: str = Field(min_length=1)
    priority: int = Field(default=5, ge=1, le=10)  # 1 first
    payload: TaskPayload
    deadline_seconds: float | None = Field(default=None, gt=0)
    retry: RetryPolicy = NO_RETRY
