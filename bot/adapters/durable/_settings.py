"""Engine settings, run descriptions and the statuses runs go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

FINAL_STATUSES = frozenset({"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})
ACTIVE_STATUSES = ["PENDING", "ENQUEUED", "DELAYED"]


class RunFailedError(RuntimeError):
    """A run ended in error or was cancelled."""


@dataclass(frozen=True)
class RunInfo:
    """One run's status line."""

    workflow_id: str
    name: str
    status: str
    queue: str | None
    executor_id: str | None
    parent: str | None
    created_at_ms: int | None
    dequeued_at_ms: int | None
    completed_at_ms: int | None


@dataclass(frozen=True)
class EngineSettings:
    """How this process connects to the durable engine and who it is among the workers."""

    database_url: str
    application_version: str
    executor_id: str
    app_name: str = "specbot"
    heartbeat_seconds: float = 5.0
    dead_after_seconds: float = 60.0
    log_level: str = "WARNING"
    # What the run records (failure reasons, outcomes) must never hold: the process's secrets.
    secrets: tuple[str, ...] = field(default=(), repr=False)


def engine_settings(
    settings: Settings, *, executor_id: str | None = None, **overrides: Any
) -> EngineSettings:
    """Engine settings from the process settings: database, version and a stable worker id."""
    import socket

    from bot import __version__

    return EngineSettings(
        database_url=settings.resolved_database_url(),
        application_version=settings.app_version or __version__,
        executor_id=executor_id or settings.executor_id or socket.gethostname(),
        secrets=tuple(settings.secret_values()),
        **overrides,
    )
