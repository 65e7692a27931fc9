"""What a pipeline run writes about itself as it goes: its row in the run index, its stage
events, and what it spent (summed from its model calls' events).

Recording is best effort: a run never fails because its row or a stage event could not be
written (the dashboard then shows less; the run's own state is in the engine).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog

from bot.adapters.durable._run_index import Usage
from bot.orchestra import StageContext
from bot.telemetry import METRICS

if TYPE_CHECKING:
    from bot.adapters.durable._engine import Engine

log = structlog.get_logger("specbot.runs")


def _best_effort(what: str, run_id: str, action: Any, *args: Any) -> Any:
    try:
        return action(*args)
    except Exception as exc:  # the record is for people; the run goes on
        log.warning("run record not written", what=what, run_id=run_id, error=str(exc)[:300])
        return None


def run_usage(engine: Engine, run_id: str) -> Usage:
    """What a run and the runs it started spent, from their model calls' events."""
    run_ids = [run_id, *(child.run_id for child in engine.index.children(run_id))]
    cost, tokens_in, tokens_out, calls = 0.0, 0, 0, 0
    for payload in engine.events.payloads(run_ids, "model.response"):
        usage = payload.get("usage")
        usage = usage if isinstance(usage, Mapping) else {}
        cost += _number(payload.get("cost_usd"))
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
            tokens_in += int(_number(usage.get(key)))  # what the model read, cached or not
        tokens_out += int(_number(usage.get("output_tokens")))
        calls += 1
    return Usage(cost, tokens_in, tokens_out, calls)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def run_started(
    engine: Engine, run_id: str, flow: str, data: Mapping[str, Any], parent: str | None
) -> None:
    """The run's row says it is running."""
    _best_effort("start", run_id, lambda: engine.index.started(run_id, flow, data, parent=parent))


def run_ended(
    engine: Engine,
    run_id: str,
    flow: str,
    data: Mapping[str, Any] | None,
    error: BaseException | None,
) -> None:
    """The run's row says how it ended and what it spent; the metrics count it."""
    state, outcome = _ending(data, error)
    outcome = engine.redactor.redact(outcome)  # an exception's text can quote anything
    METRICS.observe_run_finished(flow, state)
    usage = _best_effort("usage", run_id, run_usage, engine, run_id) or Usage()
    _best_effort("end", run_id, engine.index.finished, run_id, state, outcome, usage)


def _ending(data: Mapping[str, Any] | None, error: BaseException | None) -> tuple[str, str]:
    if error is not None:
        cause: BaseException | None = error
        while cause is not None:  # a stage waiting on a cancelled child fails with it
            if "Cancelled" in type(cause).__name__:
                return "cancelled", "cancelled"
            cause = cause.__cause__
        return "failed", f"{type(error).__name__}: {error}"
    data = data or {}
    outcome = next(
        (str(data[key]) for key in ("outcome", "conclusion", "event") if data.get(key)), ""
    )
    return ("interrupted" if data.get("interrupted") else "succeeded"), outcome


@contextmanager
def recorded_stage(engine: Engine, context: StageContext) -> Iterator[None]:
    """Emit the stage's start and end (or failure) in its run's event log, and its progress."""
    began = time.monotonic()
    attempt = max(context.attempt, 1)
    base = {"stage": context.stage, "attempt": attempt}
    emit = context.emit

    def stage_event(event_type: str, payload: dict[str, Any]) -> None:
        _best_effort("stage", context.run_id, lambda: emit(event_type, payload, seq=attempt))
        METRICS.observe_event(event_type, payload, context.pipeline)

    stage_event("stage.started", base)
    try:
        yield
    except BaseException as exc:
        seconds = round(time.monotonic() - began, 3)
        reason = engine.redactor.redact(f"{type(exc).__name__}: {exc}")[:500]
        failed = {**base, "seconds": seconds, "reason": reason}
        stage_event("stage.failed", failed)
        raise
    finished = {**base, "seconds": round(time.monotonic() - began, 3)}
    stage_event("stage.finished", finished)
    usage = _best_effort("usage", context.run_id, run_usage, engine, context.run_id)
    progress = engine.index.progress
    _best_effort(
        "progress", context.run_id, progress, context.run_id, context.stage, usage or Usage()
    )
