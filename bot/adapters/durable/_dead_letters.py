"""The dead-letter list: top-level runs that failed for good, and their retry from the failed
step. Works through the engine in a worker or through a client from outside."""

from __future__ import annotations

from typing import Any

from bot.orchestra import DeadLetter


def list_dead_letters(api: Any) -> list[DeadLetter]:
    """Failed top-level runs not retried yet, newest first (``api``: DBOS or a DBOSClient)."""
    failed = api.list_workflows(
        status="ERROR", has_parent=False, was_forked_from=False, sort_desc=True, load_input=False
    )
    return [_dead_letter(api, status) for status in failed]


def _dead_letter(api: Any, status: Any) -> DeadLetter:
    steps = api.list_workflow_steps(status.workflow_id) or []
    failed = next((step for step in reversed(steps) if step["error"] is not None), None)
    error = status.error
    return DeadLetter(
        workflow_id=status.workflow_id,
        name=status.name,
        reason=str(getattr(error, "message", error)),
        error_type=str(getattr(error, "name", type(error).__name__)),
        failed_step=failed["function_name"] if failed else None,
        failed_step_id=failed["function_id"] if failed else None,
        queue=status.queue_name,
        created_at_ms=status.created_at,
    )


def retry_dead_letter(api: Any, workflow_id: str) -> str:
    """Run a dead letter again from its failed step; returns the new run's id."""
    letters = {letter.workflow_id: letter for letter in list_dead_letters(api)}
    if workflow_id not in letters:
        raise KeyError(f"{workflow_id!r} is not in the dead-letter list")
    letter = letters[workflow_id]
    start = letter.failed_step_id if letter.failed_step_id is not None else 0
    return str(api.fork_workflow(workflow_id, start).workflow_id)
