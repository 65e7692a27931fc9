"""Starting the flows and finding their runs, through the engine, by name and run id.

The one place that knows each flow's pipeline name, queue and run ids: a flow starts another
here (the engine looks the pipeline up by name), so no flow module imports another.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from bot.branches import issue_branch, issue_of_branch
from bot.flows._jobs import FollowUpJob, ReviewJob
from bot.flows._payloads import Issue
from bot.flows._services import Services
from bot.flows._state import SpecRun
from bot.flows._tracking import tracking_key
from bot.orchestra import issue_partition, review_prefix, spec_workflow_id
from bot.ports import RepoGitHub
from bot.tracking import Stage, StageState
from bot.work import SpecText

log = structlog.get_logger("specbot.flows")
# A run that computes only the criteria check of a commit nobody asked to have reviewed.
CRITERIA_ONLY_SUFFIX = "/criteria"


def spec_prefix(repo: str, issue: int) -> str:
    """What every spec run id of one issue starts with."""
    return f"spec:{repo}#{issue}:"


def followup_prefix(repo: str, pull: int) -> str:
    """What every follow-up run id of one pull request starts with."""
    return f"follow-up:{repo}#{pull}/"


def start_spec_run(
    services: Services,
    repo: str,
    installation_id: int,
    issue: Issue,
    *,
    suffix: str = "",
) -> str:
    """Start the spec run of the issue's current text; cancel the issue's other active runs."""
    run_id = spec_workflow_id(repo, issue.number, issue.body) + suffix
    for older in services.active_runs(spec_prefix(repo, issue.number)):
        if older != run_id:
            log.info("a newer version of the spec supersedes a run", cancelled=older)
            services.runs.cancel(older)
    run = SpecRun(
        run_id=run_id,
        repo=repo,
        installation_id=installation_id,
        issue=issue.number,
        title=issue.title,
        body=issue.body,
        branch=issue_branch(issue.number, issue.title),
        tracking_key=tracking_key(repo, issue.number),
        started_at=time.time(),
    )
    return services.runs.start_pipeline(
        "spec",
        run.model_dump(mode="json"),
        workflow_id=run_id,
        queue="implement",
        partition=issue_partition(repo, issue.number),
    )


def continue_spec_run(services: Services, issue: Issue, repo: str, suffix: str) -> str | None:
    """Continue the issue's latest run from its last finished stage, if the process stopped
    under it and the spec's text is the same; the new run's id, else None."""
    state = latest_spec_state(services, repo, issue.number)
    if state is None or not state.interrupted or state.plan is None or state.body != issue.body:
        return None
    run_id = spec_workflow_id(repo, issue.number, issue.body) + suffix
    for older in services.active_runs(spec_prefix(repo, issue.number)):
        if older != run_id:  # one run per issue: an earlier retry's continuation gives way
            services.runs.cancel(older)
    log.info("continuing an interrupted run", run=state.run_id, as_run=run_id)
    # the work so far is on the branch, where implement starts
    return implement_again(
        services,
        state,
        run_id,
        run_id=run_id,
        continues=state.run_id,
        interrupted=False,
        patch="",
        outcome=f"Continuing the run stopped at {_stopped_at(state)}.",
        started_at=time.time(),
    )


def implement_again(services: Services, state: SpecRun, workflow_id: str, **update: Any) -> str:
    """Start ``spec-approved`` (implement, test, publish) from ``state``: its gate and plan
    stand, the later stages start afresh; ``update`` changes the state's other fields."""
    stages = [
        stage if stage.name in ("gate", "plan") else Stage(name=stage.name)
        for stage in state.stages
    ]
    after = state.model_copy(
        update={"stopped": False, "next_steps": [], "stages": stages, **update}
    )
    return services.runs.start_pipeline(
        "spec-approved",
        after.model_dump(mode="json"),
        workflow_id=workflow_id,
        queue="implement",
        partition=issue_partition(state.repo, state.issue),
    )


def _stopped_at(state: SpecRun) -> str:
    failed = [stage.name for stage in state.stages if stage.state is StageState.FAILED]
    return failed[0] if failed else "its last stage"


def latest_spec_state(services: Services, repo: str, issue: int) -> SpecRun | None:
    """The state the issue's latest finished spec run ended with, if any."""
    for run_id in reversed(services.runs.run_ids(spec_prefix(repo, issue))):
        if services.runs.status(run_id) == "SUCCESS":
            return SpecRun.model_validate(services.runs.result(run_id, timeout=0.0))
    return None


def spec_for_pull(
    services: Services, github: RepoGitHub, repo: str, head_ref: str
) -> SpecText | None:
    """The spec a specbot branch implements, as its run took it at the trigger."""
    issue = issue_of_branch(head_ref)
    if issue is None:
        return None
    state = latest_spec_state(services, repo, issue)
    if state is not None:
        return SpecText.of(state.issue, state.title, state.body)
    info = github.issue(issue)  # a branch whose run is gone: the issue as it is now
    return SpecText.of(info.number, info.title, info.body)


def start_review_run(
    services: Services, job: ReviewJob, workflow_id: str, pipeline: str = "review"
) -> str:
    """Start the review of ``job``'s head commit; cancel older reviews of the same pull request.

    ``pipeline`` "criteria" computes only the ``specbot/criteria`` check of that commit.
    """
    for older in services.active_runs(review_prefix(job.repo, job.pull)):
        if older != workflow_id and not older.startswith(workflow_id):
            log.info("a newer push supersedes a review", cancelled=older, by=workflow_id)
            services.runs.cancel(older)
    return services.runs.start_pipeline(
        pipeline,
        job.model_dump(mode="json"),
        workflow_id=workflow_id,
        queue="review",
        partition=job.repo,  # a few reviews per repository at a time
    )


SETTLE_TRIGGER = "settle-"  # a follow-up run that escalates instead of fixing


def rounds_so_far(services: Services, repo: str, pull: int) -> int:
    """How many follow-up rounds (questions and escalations excluded) ran on this pull request."""
    prefix = followup_prefix(repo, pull)
    triggers = [run.removeprefix(prefix) for run in services.runs.run_ids(prefix)]
    return sum(1 for trigger in triggers if not trigger.startswith(("q", SETTLE_TRIGGER)))


def start_followup_run(services: Services, job: FollowUpJob, trigger: str) -> str:
    """Start a follow-up round (or an answer) named by what triggered it."""
    return services.runs.start_pipeline(
        "follow-up",
        job.model_dump(mode="json"),
        workflow_id=f"{followup_prefix(job.repo, job.pull)}{trigger}",
        queue="implement",
        partition=issue_partition(job.repo, job.pull),
    )
