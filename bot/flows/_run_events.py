"""What agents and GitHub writes do during a stage, recorded in the run's event log.

The durable engine records each stage's start and end; this records what happens inside:
every agent's start and finish, model call (tokens, cost), tool call and result, retry, and
every write to GitHub with its link. The dashboard's timeline is drawn from these events.
Payloads are redacted of the process's secrets before they are stored; recording never
stops a run (an event that cannot be written is logged and dropped).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from bot.agents.tools import Redactor
from bot.orchestra import StageContext, running_stage
from bot.telemetry import METRICS

log = structlog.get_logger("specbot.flows")

OnEvent = Callable[[str, dict[str, Any]], None]


def redacted(value: Any, redactor: Redactor) -> Any:
    """``value`` (JSON data) with every secret in its strings replaced."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {str(key): redacted(item, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(item, redactor) for item in value]
    return value


def _emit(context: StageContext, event_type: str, payload: dict[str, Any]) -> None:
    # Agent events are not replays of one another: each gets its own id, a retried stage's
    # calls are recorded again (they were made and paid for again).
    try:
        context.emit(event_type, payload, seq=secrets.randbits(62))
    except Exception as exc:
        log.warning("run event not recorded", event_type=event_type, error=str(exc)[:300])
    METRICS.observe_event(event_type, payload, context.pipeline)


def stage_recorder(secret_values: Sequence[str]) -> OnEvent:
    """An agent ``on_event`` recording into the stage running in this thread (outside a
    stage, it records nothing)."""
    context = running_stage()
    redactor = Redactor(secret_values)

    def record(event_type: str, payload: dict[str, Any]) -> None:
        if context is not None:
            _emit(context, event_type, redacted(payload, redactor))

    return record


def record_github_write(
    action: str, number: int | None, url: str | None, redactor: Redactor
) -> None:
    """Record one write to GitHub in the running stage's run (nothing outside a stage)."""
    context = running_stage()
    if context is None:
        return
    payload = {"action": action, "number": number, "url": url}
    _emit(context, "github.write", redacted(payload, redactor))
