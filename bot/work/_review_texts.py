"""What each member of the review is told: its task, the shared (cached) context, the findings
so far in a later round, and the coordinator's task message (templates in ``prompts/``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.orchestra import TaskMessage, TaskPayload
from bot.ports import FileDiff
from bot.review import MergedFinding
from bot.review.areas import AreaTask
from bot.untrusted import delimit
from bot.work._spec import SpecText
from bot.work._texts import task_text


def task_message(
    task: AreaTask[FileDiff], reviewer: str, pull: int, seq: int, deadline: float | None
) -> TaskMessage:
    """The coordinator's message to one specialist about one area (recorded as sent)."""
    return TaskMessage(
        task_id=f"{task.task_id}:{reviewer}",
        parent_id=f"pull-{pull}",
        agent=reviewer,
        priority=min(10, seq + 1),
        payload=TaskPayload(
            objective=f"Review the {task.area} area{task.part} of pull request #{pull}.",
            context={"area": task.area, "files": [diff.path for diff in task.files]},
            constraints=["findings on lines of this area's diff only", "submit_review once"],
            output_format="submit_review",
        ),
        deadline_seconds=deadline,
    )


def reviewer_task(pull: int, title: str, batch_note: str, earlier: str) -> str:
    """A reviewer's task: the pull request, its part of the diff, earlier reviews' findings."""
    shown = ""
    if earlier:  # what people wrote in earlier threads is data, like the diff
        listed = delimit(earlier, "earlier findings", clean=False)
        shown = task_text("review-earlier", listed=listed)
    return task_text("review", pull=pull, title=title, batch_note=batch_note, earlier=shown)


def findings_so_far(found: Sequence[MergedFinding], iteration: int) -> str:
    """What a later round is shown: the swarm's findings so far (model output: data)."""
    if iteration == 1:
        return ""
    lines = [
        f"- {m.finding.path} line {m.finding.line} ({m.finding.kind}, "
        f"{', '.join(m.reviewers)}): {' '.join(m.finding.message.split())[:200]}"
        for m in found
    ]
    listed = delimit("\n".join(lines) or "(nothing found yet)", "findings so far", clean=False)
    return task_text("review-round", round=iteration, listed=listed)


def shared_context(spec: SpecText | None, diff_text: str) -> str:
    """The cached part every reviewer of one batch shares: the spec and the diff."""
    spec_text = spec.body if spec is not None else "_No linked specification._"
    return task_text(
        "review-context",
        number=spec.number if spec is not None else "-",
        spec=delimit(spec_text, "specification", clean=False),
        diff=delimit(diff_text, "diff", clean=False),
    )
