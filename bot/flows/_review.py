"""The review flow: the reviewer swarm on a pull request's head commit, one review, one check.

Started by a push to a specbot branch (``pull_request`` opened, reopened or synchronize), by
the spec flow after it publishes, or by ``/specbot review`` on any pull request. The run id is
the head commit's, so these collapse into one run; a newer push cancels an older review.
After a review that requests changes on specbot's own pull request, the follow-up flow takes
the findings, up to the configured number of rounds.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

from bot.branches import is_specbot_branch, issue_of_branch
from bot.criteria import tied_findings
from bot.flows._review_trust import (
    forks_allowed,
    from_fork,
    is_own_commit,
    may_review,
    refuse_fork,
)
from bot.flows._services import Services, current
from bot.flows._tracking import upsert_tracking
from bot.flows._transient import retry_transient
from bot.flows._trigger import may_trigger, where
from bot.ingest import IngestRouter
from bot.orchestra import (
    Pipeline,
    Stage,
    StageContext,
    review_prefix,
    review_workflow_id,
)
from bot.ports import RepoGitHub
from bot.review import (
    ReviewEvent,
    build_annotations,
    check_conclusion,
    check_summary,
    draft_review,
    earlier_findings,
    posted_fingerprints,
    render_earlier,
)
from bot.routing import Router
from bot.webhooks import Event
from bot.work import ProjectFacts, ReviewResult, SpecText, Team, review_changes

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()
CHECK_NAME = "specbot/review"
REVIEW_MARKER = "<!-- specbot:review:{run_id} -->"


class ReviewJob(BaseModel):
    """One review run: the pull request and the head commit it reviews."""

    model_config = ConfigDict(extra="forbid")

    repo: str
    installation_id: int
    pull: int
    head_sha: str
    check_run_id: int | None = None
    review_id: int | None = None
    findings: int = 0
    event: str = ""
    conclusion: str = ""
    criteria_findings: dict[int, list[str]] = Field(default_factory=dict)


def start_review_run(
    services: Services, job: ReviewJob, workflow_id: str | None = None, pipeline: str = "review"
) -> str:
    """Start the review of ``job``'s head commit; cancel older reviews of the same pull request.

    ``pipeline`` "criteria" computes only the ``specbot/criteria`` check of that commit.
    """
    run_id = workflow_id or review_workflow_id(job.repo, job.pull, job.head_sha)
    for older in services.active_runs(review_prefix(job.repo, job.pull)):
        if older != run_id and not older.startswith(run_id):
            log.info("a newer push supersedes a review", cancelled=older, by=run_id)
            services.runs.cancel(older)
    return services.runs.start_pipeline(
        pipeline,
        job.model_dump(mode="json"),
        workflow_id=run_id,
        queue="review",
        partition=job.repo,  # a few reviews per repository at a time
    )


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
def on_push(event: Event, context: StageContext) -> None:
    """Review every new head commit of specbot's own pull requests: its branch, its commit."""
    place = where(event)
    pull = event.payload.get("pull_request")
    if place is None or not isinstance(pull, dict):
        return
    head = pull.get("head") or {}
    if not is_specbot_branch(str(head.get("ref") or "")):
        return  # other pull requests are reviewed on request: /specbot review
    if (pull.get("state") or "open") != "open":
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    number = int(pull["number"])
    if from_fork(pull):  # a branch name proves nothing: never automatic
        if not forks_allowed(services, github):
            refuse_fork(github, number)
        return
    sha = str(head["sha"])
    run_id = review_workflow_id(place.repo, number, sha)
    if run_id in services.runs.run_ids(run_id):
        return  # under review already: publish starts the review of what it pushed
    job = ReviewJob(
        repo=place.repo, installation_id=place.installation_id, pull=number, head_sha=sha
    )
    if not is_own_commit(github, sha):
        # Someone else's push is reviewed when a person asks; its criteria check is not
        # optional: a required check must follow every head commit.
        start_review_run(services, job, f"{run_id}{CRITERIA_ONLY_SUFFIX}", "criteria")
        return
    start_review_run(services, job, run_id)


@router.register("check_run", action="rerequested")
def on_rerun(event: Event, context: StageContext) -> None:
    """ "Re-run" on specbot's check run reviews that commit again."""
    check = event.payload.get("check_run")
    place = where(event)
    if place is None or not isinstance(check, dict) or check.get("name") != CHECK_NAME:
        return
    pulls = [p for p in check.get("pull_requests") or [] if isinstance(p, dict)]
    if not pulls:
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    number = int(pulls[0]["number"])
    if not may_trigger(event, github, services.repo_config(github), number):
        return
    if not may_review(services, github, github.pull(number)):
        return
    head = str(check["head_sha"])
    job = ReviewJob(
        repo=place.repo, installation_id=place.installation_id, pull=number, head_sha=head
    )
    run_id = f"{review_workflow_id(place.repo, number, head)}/rerun-{check['id']}"
    start_review_run(services, job, run_id)


def _check(context: StageContext, data: object) -> ReviewJob:
    assert isinstance(data, ReviewJob)
    job = data
    services = current()
    github = services.github(job.repo, job.installation_id)
    check_id = retry_transient(
        lambda: github.start_check_run(
            job.head_sha, CHECK_NAME, services.run_url(context.run_id), external_id=context.run_id
        ),
        "opening the check run",
    )
    return job.model_copy(update={"check_run_id": check_id})


def spec_for_pull(
    services: Services, github: RepoGitHub, repo: str, head_ref: str
) -> SpecText | None:
    """The spec a specbot branch implements, as its run took it at the trigger."""
    from bot.flows._spec import latest_spec_state

    issue = issue_of_branch(head_ref)
    if issue is None:
        return None
    state = latest_spec_state(services, repo, issue)
    if state is not None:
        return SpecText.of(state.issue, state.title, state.body)
    info = github.issue(issue)  # a branch whose run is gone: the issue as it is now
    return SpecText.of(info.number, info.title, info.body)


def _review(context: StageContext, data: object) -> ReviewJob:
    assert isinstance(data, ReviewJob)
    job = data
    services = current()
    github = services.github(job.repo, job.installation_id)
    marker = REVIEW_MARKER.format(run_id=context.run_id)
    pull = github.pull(job.pull)
    config = services.repo_config(github, pull.base_ref)
    files = github.pull_files(job.pull)
    comments = github.review_comments(job.pull)
    key = services.marker_key()
    earlier = posted_fingerprints([c.body for c in comments if c.author == github.bot_login], key)
    workspaces = services.workspaces
    workspaces.refresh_mirror(job.repo, github.clone_url(), github.git_credentials())
    # a fork's branch is not in this repository (a branch here may even share its name)
    head = f"refs/pull/{job.pull}/head" if pull.from_fork else pull.head_ref
    checkout = workspaces.checkout(
        job.repo, context.run_id, head, pull.base_ref, github.clone_url()
    )
    own_pull = is_specbot_branch(pull.head_ref) and not pull.from_fork
    # With the run id, reviewers stop calling the model once a newer push cancels this review.
    team = services.team(run_id=context.run_id, config=config)
    team.project = ProjectFacts(base_branch=pull.base_ref)
    try:
        reviewers = config.flows["review"].agents if "review" in config.flows else []
        result = review_changes(
            team,
            checkout,
            files,
            spec_for_pull(services, github, job.repo, pull.head_ref) if own_pull else None,
            pull=job.pull,
            title=pull.title,
            reviewers=reviewers,
            policy=config.review,
            already_posted=earlier,
            earlier=render_earlier(earlier_findings(comments, github.bot_login, key)),
        )
    finally:
        workspaces.remove(checkout)
    if services.runs.status(context.run_id) == "CANCELLED":
        return _superseded(github, job)

    def post_once() -> int:
        # Posted before a crash, or by a POST that failed with a 5xx after GitHub saved it:
        # look first, so the review is posted once.
        found = github.find_own_review(job.pull, marker)
        return found if found is not None else _post(github, job, result, files, own_pull, marker)

    review_id = retry_transient(post_once, "posting")
    conclusion = check_conclusion(list(result.findings), result.event)
    assert job.check_run_id is not None
    github.complete_check_run(
        job.check_run_id,
        conclusion,
        f"{len(result.findings)} finding(s)",
        check_summary(result.summary, result.not_reviewed),
        build_annotations(list(result.findings)),
    )
    job = job.model_copy(
        update={
            "review_id": review_id,
            "findings": len(result.findings),
            "event": result.event.value,
            "conclusion": conclusion,
            "criteria_findings": tied_findings(result.findings),
        }
    )
    next_step = "Ready for a person's review." if own_pull else ""
    if own_pull and result.event is ReviewEvent.REQUEST_CHANGES:
        from bot.flows._followup import after_review

        next_step = after_review(services, github, job, pull.head_ref)
    issue = issue_of_branch(pull.head_ref)
    if own_pull and issue is not None:
        _track_review(services, github, job, issue, team, next_step)
    return job


def _track_review(
    services: Services,
    github: RepoGitHub,
    job: ReviewJob,
    issue: int,
    team: Team,
    next_step: str,
) -> None:
    """Add the review's verdict, links and usage to the issue's tracking comment."""
    from bot.flows._spec import latest_spec_state

    state = latest_spec_state(services, job.repo, issue)
    if state is None:
        return
    web = github.clone_url().removesuffix(".git")
    verdict = (
        "changes requested"
        if job.event == ReviewEvent.REQUEST_CHANGES.value
        else "no blocking problem"
    )
    state = state.with_link("check run", f"{web}/runs/{job.check_run_id}")
    if job.review_id is not None:
        state = state.with_link(
            "review", f"{web}/pull/{job.pull}#pullrequestreview-{job.review_id}"
        )
    state = state.model_copy(
        update={
            "outcome": f"Pull request #{job.pull} reviewed at {job.head_sha[:12]}: "
            f"{job.findings} finding(s), {verdict}.",
            "next_steps": [next_step] if next_step else [],
            "input_tokens": state.input_tokens + team.input_tokens,
            "output_tokens": state.output_tokens + team.output_tokens,
            "cost_usd": state.cost_usd + team.cost_usd,
        }
    )
    upsert_tracking(github, issue, state.report(), state.comment_id)


def _superseded(github: RepoGitHub, job: ReviewJob) -> ReviewJob:
    """A newer push cancelled this run while its swarm worked: post nothing, say so."""
    log.info("review superseded by a newer push: not posted", head_sha=job.head_sha)
    assert job.check_run_id is not None
    github.complete_check_run(
        job.check_run_id,
        "cancelled",
        "Superseded",
        "A newer commit was pushed: its review replaces this one.",
        [],
    )
    return job.model_copy(update={"conclusion": "cancelled"})


def _post(
    github: RepoGitHub,
    job: ReviewJob,
    result: ReviewResult,
    files: list[Any],
    own_pull: bool,
    marker: str,
) -> int:
    # GitHub refuses REQUEST_CHANGES on one's own pull request: comment, and let the check
    # run carry the verdict.
    event = ReviewEvent.COMMENT if own_pull else result.event
    patches = {item.path: item.patch for item in files}
    draft = draft_review(
        list(result.findings),
        patches,
        event,
        result.summary,
        result.not_reviewed,
        marker=marker,
        key=current().marker_key(),
    )
    return github.post_review(job.pull, job.head_sha, draft)


# A run that computes only the criteria check of a commit nobody asked to have reviewed.
CRITERIA_ONLY_SUFFIX = "/criteria"


def criteria_pipeline() -> Pipeline:
    """The criteria check alone, for a person's push to specbot's pull request."""
    from bot.flows._criteria import CriteriaResult, criteria_stage

    return Pipeline(
        "criteria", [Stage("criteria", ReviewJob, CriteriaResult, criteria_stage)], queue="review"
    )


def review_pipeline() -> Pipeline:
    """Open the check run (so it shows at once), review and post, then the criteria check."""
    from bot.flows._criteria import CriteriaResult, criteria_stage

    return Pipeline(
        "review",
        [
            Stage("check", ReviewJob, ReviewJob, _check),
            Stage("review", ReviewJob, ReviewJob, _review),
            Stage("criteria", ReviewJob, CriteriaResult, criteria_stage),
        ],
        queue="review",
    )
