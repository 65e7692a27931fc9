"""The pipeline pattern as a durable workflow: each stage a checkpointed step or child workflow."""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID, StepOptions

from bot.adapters.durable import _runtime
from bot.adapters.durable._run_records import recorded_stage, run_ended, run_started
from bot.orchestra import JsonObject, Pipeline, Stage, StageContext, current_stage
from bot.orchestra._pipeline import ContractError


class StageFailedError(RuntimeError):
    """A stage failed after every attempt its retry policy allowed; the run goes to dead letters."""


PIPELINE_WORKFLOW = "specbot.pipeline"


def _stage_options(pipeline: Pipeline, index: int, stage: Stage) -> StepOptions:
    policy = stage.retry
    return {
        "name": f"stage:{index}:{stage.name}",
        "retries_allowed": policy.max_attempts > 1,
        "max_attempts": policy.max_attempts,
        "interval_seconds": policy.interval_seconds,
        "backoff_rate": policy.backoff_rate,
    }


def _run_stage(pipeline_name: str, index: int, run_id: str, data: JsonObject) -> JsonObject:
    engine = _runtime.active()
    stage = engine.catalog.pipeline(pipeline_name).stages[index]
    context = StageContext(
        run_id=run_id,
        pipeline=pipeline_name,
        stage=stage.name,
        index=index,
        limiter=engine.throttle,
        emitter=engine.publish,
        attempt=engine.attempts.begin(run_id, index),
        members=engine.attempts.members(run_id, index),
    )
    with recorded_stage(engine, context), current_stage(context):
        return stage.execute(context, data)


def _run_child(run_id: str, stage: Stage, data: JsonObject) -> JsonObject:
    assert stage.child is not None  # checked by Stage
    stage.parse_input(data)
    catalog = _runtime.active().catalog
    child_id = f"{run_id}/{stage.name}"
    with SetWorkflowID(f"{DBOS.workflow_id}/{stage.name}"):
        catalog.pipeline(stage.child)
        handle = DBOS.start_workflow(pipeline_workflow, stage.child, data, child_id, run_id)
    output: JsonObject = handle.get_result(polling_interval_sec=0.1)
    try:
        return stage.output_model.model_validate(output).model_dump(mode="json")
    except ValueError as exc:
        raise ContractError(f"child {stage.child!r} of stage {stage.name!r}: {exc}") from exc


@DBOS.workflow(name=PIPELINE_WORKFLOW)
def pipeline_workflow(
    pipeline_name: str, data: JsonObject, run_id: str, parent: str | None = None
) -> JsonObject:
    """Run every stage in order; a finished stage's output is stored and never recomputed.

    ``run_id`` is the run's logical id: the workflow id it was started with, kept by a retry
    (a retry is a new workflow) so that stages' idempotency keys stay the same. ``parent`` is
    the run that started this one as a stage. The run index follows it from start to end.
    """
    engine = _runtime.active()
    run_started(engine, run_id, pipeline_name, data, parent)
    try:
        output = _run_stages(pipeline_name, data, run_id)
    except BaseException as exc:
        run_ended(engine, run_id, pipeline_name, None, exc)
        raise
    run_ended(engine, run_id, pipeline_name, output, None)
    return output


def _run_stages(pipeline_name: str, data: JsonObject, run_id: str) -> JsonObject:
    pipeline = _runtime.active().catalog.pipeline(pipeline_name)
    for index, stage in enumerate(pipeline.stages):
        try:
            if stage.child is not None:
                data = _run_child(run_id, stage, data)
            else:
                data = DBOS.run_step(
                    _stage_options(pipeline, index, stage),
                    _run_stage,
                    pipeline_name,
                    index,
                    run_id,
                    data,
                )
        except Exception as exc:
            raise StageFailedError(
                f"stage {stage.name!r} of pipeline {pipeline_name!r} failed after "
                f"{stage.retry.max_attempts} attempt(s): {_reason(exc)}"
            ) from exc
    return data


def _reason(exc: BaseException) -> str:
    errors: Any = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        exc = errors[-1]
    return f"{type(exc).__name__}: {exc}"
