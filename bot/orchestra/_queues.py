"""Queue declarations: concurrency, partitions and rate limits, as data the engine registers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RateLimit(BaseModel):
    """At most ``limit`` starts in any rolling window of ``period_seconds``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(ge=1)
    period_seconds: float = Field(gt=0)


class QueueSpec(BaseModel):
    """One durable queue and its limits.

    ``partition_concurrency`` makes the queue partitioned: every enqueue names a partition
    (a repository, or a repository and issue) and at most that many of its runs go at once,
    across all workers. ``max_waiting`` is back-pressure: enqueueing beyond it is refused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    global_concurrency: int | None = Field(default=None, ge=1)
    worker_concurrency: int | None = Field(default=None, ge=1)
    partition_concurrency: int | None = Field(default=None, ge=1)
    rate_limit: RateLimit | None = None
    max_waiting: int | None = Field(default=None, ge=1)
    polling_interval_seconds: float = Field(default=1.0, gt=0, le=60)

    @property
    def is_partitioned(self) -> bool:
        """Whether every enqueue must name a partition."""
        return self.partition_concurrency is not None


class BackpressureError(RuntimeError):
    """A queue already holds as many waiting runs as it accepts: try again later."""


def default_queues(
    *,
    reviews_per_repository: int = 2,
    global_concurrency: int = 8,
    polling_interval_seconds: float = 1.0,
) -> tuple[QueueSpec, ...]:
    """specbot's queues: one implementer per issue, N reviews per repository, a global cap."""
    poll = polling_interval_seconds
    return (
        QueueSpec(
            name="ingest", global_concurrency=global_concurrency, polling_interval_seconds=poll
        ),
        QueueSpec(
            name="implement",
            global_concurrency=global_concurrency,
            partition_concurrency=1,
            max_waiting=1000,
            polling_interval_seconds=poll,
        ),
        QueueSpec(
            name="review",
            global_concurrency=global_concurrency,
            partition_concurrency=reviews_per_repository,
            max_waiting=1000,
            polling_interval_seconds=poll,
        ),
        QueueSpec(
            name="pipelines", global_concurrency=global_concurrency, polling_interval_seconds=poll
        ),
    )


def default_rate_limits(
    *, model_requests_per_minute: int = 50, github_writes_per_minute: int = 60
) -> dict[str, RateLimit]:
    """Call budgets shared by all workers: requests to the model API and writes to GitHub."""
    return {
        "model": RateLimit(limit=model_requests_per_minute, period_seconds=60),
        "github": RateLimit(limit=github_writes_per_minute, period_seconds=60),
    }
