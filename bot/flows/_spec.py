"""The spec flow's triggers and pipelines: a labelled issue (or ``/specbot run``) becomes a run.

One run per version of the issue body (``spec:<repo>#<n>:<body-sha>``): a redelivery or a
second label collapses into the same run; an edit while a run is active cancels it and starts
one for the new text; an edit while the spec is not ready checks it again.
"""

from __future__ import annotations

from bot.flows import _spec_stages as stages
from bot.flows._context import FlowRouter, RepoContext, on_repository
from bot.flows._payloads import Issue, IssuesEvent
from bot.flows._runs import spec_prefix, start_spec_run
from bot.flows._services import ACTIVE, Services
from bot.flows._stage import spec_stage
from bot.orchestra import Pipeline
from bot.routing import Router

router: FlowRouter = Router()


def trigger_spec(
    context: RepoContext, issue: Issue, *, comment_id: int | None = None, suffix: str = ""
) -> str | None:
    """Start a spec run for ``issue`` if the delivery's sender may; returns the run id."""
    if not context.may_trigger(issue.number):
        return None
    if comment_id is None:  # the eyes reaction: seen, a run is coming
        context.github.react_to_issue(issue.number, "eyes")
    else:
        context.github.react_to_comment(comment_id, "eyes")
    return start_spec_run(
        context.services, context.repo, context.installation_id, issue, suffix=suffix
    )


@router.register("issues", action="labeled")
@on_repository(IssuesEvent)
def on_labeled(event: IssuesEvent, context: RepoContext) -> None:
    """The configured label (``spec`` by default) on an issue starts a run."""
    if event.label is None or event.label.name != context.config.triggers.label:
        return
    trigger_spec(context, event.issue)


@router.register("issues", action="edited")
@on_repository(IssuesEvent)
def on_edited(event: IssuesEvent, context: RepoContext) -> None:
    """A changed body of a spec issue: a new run if one is active or the spec was not ready."""
    if event.changes is None or "body" not in event.changes:
        return  # a title-only edit changes nothing in the spec
    if not event.issue.has_label(context.config.triggers.label):
        return
    services = context.services
    earlier = services.runs.run_ids(spec_prefix(context.repo, event.issue.number))
    if not earlier:
        return
    latest = earlier[-1]
    if services.runs.status(latest) in ACTIVE or _was_not_ready(services, latest):
        trigger_spec(context, event.issue)


def _was_not_ready(services: Services, run_id: str) -> bool:
    try:
        output = services.runs.result(run_id, timeout=0.0)
    except Exception:  # failed or cancelled: a new text deserves a new try
        return True
    return isinstance(output, dict) and output.get("ready") is False


def spec_pipelines(services: Services) -> list[Pipeline]:
    """``spec`` (gate to publish) and ``spec-approved`` (after ``/specbot approve``)."""
    gate = spec_stage(services, "gate", stages.gate)
    plan = spec_stage(services, "plan", stages.plan)
    implement = spec_stage(services, "implement", stages.implement_stage)
    test = spec_stage(services, "test", stages.test_stage)
    publish = spec_stage(services, "publish", stages.publish, always=True)
    return [
        Pipeline("spec", [gate, plan, implement, test, publish], queue="implement"),
        Pipeline("spec-approved", [implement, test, publish], queue="implement"),
    ]
