"""The spec flow's triggers and pipelines: a labelled issue (or ``/specbot run``) becomes a run.

One run per version of the issue body (``spec:<repo>#<n>:<body-sha>``): a redelivery or a
second label collapses into the same run; an edit while a run is active cancels it and starts
one for the new text; an edit while the spec is not ready checks it again.
"""

from __future__ import annotations

import time

import structlog

from bot.branches import issue_branch
from bot.config import RepoConfig
from bot.flows import _spec_stages as stages
from bot.flows._services import ACTIVE, Services, current
from bot.flows._stage import spec_stage
from bot.flows._state import SpecRun
from bot.flows._tracking import tracking_key
from bot.flows._trigger import may_trigger, where
from bot.ingest import IngestRouter
from bot.orchestra import Pipeline, StageContext, issue_partition, spec_workflow_id
from bot.ports import RepoGitHub
from bot.routing import Router
from bot.webhooks import Event

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()


def spec_prefix(repo: str, issue: int) -> str:
    """What every spec run id of one issue starts with."""
    return f"spec:{repo}#{issue}:"


def start_spec_run(
    services: Services,
    repo: str,
    installation_id: int,
    issue: dict[str, object],
    *,
    suffix: str = "",
) -> str:
    """Start the spec run of the issue's current text; cancel the issue's other active runs."""
    number = int(str(issue["number"]))
    title = str(issue.get("title") or "")
    body = str(issue.get("body") or "")
    run_id = spec_workflow_id(repo, number, body) + suffix
    for older in services.active_runs(spec_prefix(repo, number)):
        if older != run_id:
            log.info("a newer version of the spec supersedes a run", cancelled=older)
            services.runs.cancel(older)
    run = SpecRun(
        run_id=run_id,
        repo=repo,
        installation_id=installation_id,
        issue=number,
        title=title,
        body=body,
        branch=issue_branch(number, title),
        tracking_key=tracking_key(repo, number),
        started_at=time.time(),
    )
    return services.runs.start_pipeline(
        "spec",
        run.model_dump(mode="json"),
        workflow_id=run_id,
        queue="implement",
        partition=issue_partition(repo, number),
    )


def _acknowledge(github: RepoGitHub, issue: int, comment_id: int | None) -> None:
    """The eyes reaction: seen, a run is coming."""
    if comment_id is None:
        github.react_to_issue(issue, "eyes")
    else:
        github.react_to_comment(comment_id, "eyes")


def trigger_spec(
    event: Event,
    *,
    comment_id: int | None = None,
    suffix: str = "",
    config: RepoConfig | None = None,
) -> str | None:
    """Start a spec run for the delivery's issue if its sender may; returns the run id."""
    place = where(event)
    issue = event.payload.get("issue")
    if place is None or not isinstance(issue, dict):
        return None
    services = current()
    github = services.github(place.repo, place.installation_id)
    number = int(issue["number"])
    if config is None:
        config = services.repo_config(github)
    if not may_trigger(event, github, config, number):
        return None
    _acknowledge(github, number, comment_id)
    return start_spec_run(services, place.repo, place.installation_id, issue, suffix=suffix)


@router.register("issues", action="labeled")
def on_labeled(event: Event, context: StageContext) -> None:
    """The configured label (``spec`` by default) on an issue starts a run."""
    label = event.payload.get("label")
    place = where(event)
    if place is None or not isinstance(label, dict):
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    config = services.repo_config(github)
    if label.get("name") != config.triggers.label:
        return
    trigger_spec(event, config=config)


@router.register("issues", action="edited")
def on_edited(event: Event, context: StageContext) -> None:
    """A changed body of a spec issue: a new run if one is active or the spec was not ready."""
    place = where(event)
    issue = event.payload.get("issue")
    changes = event.payload.get("changes")
    if place is None or not isinstance(issue, dict):
        return
    if not isinstance(changes, dict) or "body" not in changes:
        return  # a title-only edit changes nothing in the spec
    services = current()
    github = services.github(place.repo, place.installation_id)
    config = services.repo_config(github)
    label = config.triggers.label
    names = {str(item.get("name")) for item in issue.get("labels") or [] if isinstance(item, dict)}
    if label not in names:
        return
    earlier = services.runs.run_ids(spec_prefix(place.repo, int(issue["number"])))
    if not earlier:
        return
    latest = earlier[-1]
    if services.runs.status(latest) in ACTIVE or _was_not_ready(services, latest):
        trigger_spec(event, config=config)


def latest_spec_state(services: Services, repo: str, issue: int) -> SpecRun | None:
    """The state the issue's latest finished spec run ended with, if any."""
    for run_id in reversed(services.runs.run_ids(spec_prefix(repo, issue))):
        if services.runs.status(run_id) == "SUCCESS":
            return SpecRun.model_validate(services.runs.result(run_id, timeout=0.0))
    return None


def _was_not_ready(services: Services, run_id: str) -> bool:
    try:
        output = services.runs.result(run_id, timeout=0.0)
    except Exception:  # failed or cancelled: a new text deserves a new try
        return True
    return isinstance(output, dict) and output.get("ready") is False


def spec_pipelines() -> list[Pipeline]:
    """``spec`` (gate to publish) and ``spec-approved`` (after ``/specbot approve``)."""
    gate = spec_stage("gate", stages.gate)
    plan = spec_stage("plan", stages.plan)
    implement = spec_stage("implement", stages.implement_stage)
    test = spec_stage("test", stages.test_stage)
    publish = spec_stage("publish", stages.publish, always=True)
    return [
        Pipeline("spec", [gate, plan, implement, test, publish], queue="implement"),
        Pipeline("spec-approved", [implement, test, publish], queue="implement"),
    ]
