"""The review flow: the reviewer swarm on a pull request's head commit, one review, one check.

Started by a push to a specbot branch (``pull_request`` opened, reopened or synchronize), by
the spec flow after it publishes, or by ``/specbot review`` on any pull request. The run id is
the head commit's, so these collapse into one run; a newer push cancels an older review.
After a review that requests changes on specbot's own pull request, the follow-up flow takes
the findings, up to the configured number of rounds.
"""

from __future__ import annotations

from typing import Any

from bot.branches import is_specbot_branch, issue_of_branch
from bot.config import RepoConfig
from bot.criteria import tied_findings
from bot.flows._context import FlowRouter, JobContext, RepoContext, job_stage, on_repository
from bot.flows._criteria import criteria_stage
from bot.flows._jobs import CriteriaResult, ReviewJob, open_finding
from bot.flows._payloads import CheckRunEvent, PullRequestEvent
from bot.flows._review_outcome import after_changes_requested, publish_completed, track_review
from bot.flows._review_trust import is_own_commit, may_review, refuse_fork
from bot.flows._runs import (
    CRITERIA_ONLY_SUFFIX,
    spec_for_pull,
    start_review_run,
)
from bot.flows._services import Services
from bot.flows._transient import first_try, retry_transient
from bot.flows._trigger import sender_type
from bot.orchestra import Pipeline, review_workflow_id
from bot.ports import PullInfo, RepoGitHub
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
from bot.work import ProjectFacts, ReviewResult, SwarmRounds, Team, review_changes

router: FlowRouter = Router()
CHECK_NAME = "specbot/review"
REVIEW_MARKER = "<!-- specbot:review:{run_id} -->"


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="ready_for_review")
@on_repository(PullRequestEvent)
def on_push(event: PullRequestEvent, context: RepoContext) -> None:
    """Review a pull request's new head commit when the repository reviews it unasked:
    specbot's own (``review.auto: own``, the default) and, with ``collaborators``, a writer's."""
    pull = event.pull_request
    if pull.state != "open":
        return
    config = context.config  # read here, passed on: the review does not read it again
    if not is_specbot_branch(pull.head.ref):
        if config.review.auto == "collaborators" and config.flow_enabled("review"):
            _review_a_writers_push(event, context)
        return  # otherwise reviewed on request: /specbot review
    if pull.from_fork:  # a branch name proves nothing: never automatic
        if not config.review.forks:
            refuse_fork(context.github, pull.number)
        return
    run_id = review_workflow_id(context.repo, pull.number, pull.head.sha)
    if run_id in context.services.runs.run_ids(run_id):
        return  # under review already: publish starts the review of what it pushed
    job = _job(event, context)
    reviewed = config.flow_enabled("review") and config.review.auto != "request"
    if not reviewed or not is_own_commit(context.github, pull.head.sha):
        # Someone else's push (or any push, where reviews are asked for or off) is reviewed
        # when a person asks; its criteria check is not optional: a required check must
        # follow every head commit.
        criteria = f"{run_id}{CRITERIA_ONLY_SUFFIX}"
        start_review_run(context.services, job, criteria, "criteria")
        return
    start_review_run(context.services, job, run_id)


def _job(event: PullRequestEvent, context: RepoContext) -> ReviewJob:
    """The review of the event's head commit, with what the payload already says: the pull
    request, whether it has review comments, and the configuration when it is the base's."""
    pull = event.pull_request
    return ReviewJob(
        repo=context.repo,
        installation_id=context.installation_id,
        pull=pull.number,
        head_sha=pull.head.sha,
        config=context.config if event.into_default_branch else None,
        pull_info=pull.info(),
        no_review_comments=pull.review_comments == 0,
    )


def _review_a_writers_push(event: PullRequestEvent, context: RepoContext) -> None:
    """``review.auto: collaborators``: a pull request from a branch of this repository (only
    people with write access push one; forks are reviewed only when a writer asks). Bots only
    where ``triggers.allow_bots`` names them; never specbot itself."""
    pull = event.pull_request
    sender = context.sender
    if pull.from_fork or not sender or context.is_self():
        return
    if sender_type(context.event) == "Bot" and sender not in context.config.triggers.allow_bots:
        return
    run_id = review_workflow_id(context.repo, pull.number, pull.head.sha)
    if run_id not in context.services.runs.run_ids(run_id):
        start_review_run(context.services, _job(event, context), run_id)


@router.register("check_run", action="rerequested")
@on_repository(CheckRunEvent)
def on_rerun(event: CheckRunEvent, context: RepoContext) -> None:
    """ "Re-run" on specbot's check run reviews that commit again."""
    check = event.check_run
    if check.name != CHECK_NAME or not check.pull_requests:
        return
    number = check.pull_requests[0].number
    if not context.may_trigger(number):
        return
    if not context.config.flow_enabled("review"):
        context.log.info("not reviewed: reviews are turned off here", pull=number)
        return
    if not may_review(context.config, context.github, context.github.pull(number)):
        return
    job = ReviewJob(
        repo=context.repo,
        installation_id=context.installation_id,
        pull=number,
        head_sha=check.head_sha,
    )  # not the pull request as read: its head may have moved past the commit re-run
    run_id = f"{review_workflow_id(context.repo, number, check.head_sha)}/rerun-{check.id}"
    start_review_run(context.services, job, run_id)


def _check(context: JobContext, job: ReviewJob) -> ReviewJob:
    """Open the check run, so the pull request shows the review at once."""
    url = context.services.run_url(context.run_id)
    is_first = first_try(context.stage)

    def open_check() -> int:
        # An earlier start of this stage, or a POST that failed after GitHub saved it, may have
        # opened it already: look first then, and only then.
        return context.github.start_check_run(
            job.head_sha, CHECK_NAME, url, external_id=context.run_id, look_first=not is_first()
        )

    check_id = retry_transient(open_check, "opening the check run")
    return job.model_copy(update={"check_run_id": check_id})


def _review(context: JobContext, job: ReviewJob) -> ReviewJob:
    """The reviewers on the pull request's diff; one review posted; the check completed."""
    services, github = context.services, context.github
    pull = job.pull_info or github.pull(job.pull)
    config = job.config or services.repo_config(github, pull.base_ref)
    job = job.model_copy(update={"config": config})  # read once: the criteria stage reuses it
    own_pull = is_specbot_branch(pull.head_ref) and not pull.from_fork
    time_box = config.flows["review"].time_box_seconds if "review" in config.flows else None
    team = services.team(run_id=context.run_id, config=config, time_box_seconds=time_box)
    team.project = ProjectFacts(base_branch=pull.base_ref)
    files = github.pull_files(job.pull)
    result = _run_reviewers(context, job, pull, config, team, files, own_pull)
    if context.cancelled():
        return _superseded(context, job)
    if services.stopping.is_set():  # the reviewers were stopped: nothing they found is whole
        return _interrupted(context, job)
    marker = REVIEW_MARKER.format(run_id=context.run_id)
    is_first = first_try(context.stage)

    def post_once() -> int:
        # Posted before a crash, or by a POST that failed with a 5xx after GitHub saved it:
        # look first (not on the stage's first start's first try), so it is posted once.
        found = None if is_first() else github.find_own_review(job.pull, marker)
        if found is not None:
            return found
        return _post(services, github, job, result, files, own_pull, marker)

    review_id = retry_transient(post_once, "posting")
    job = _complete_check(github, job, result, review_id)
    publish_completed(context, job)
    next_step = "Ready for a person's review." if own_pull else ""
    if own_pull and result.event is ReviewEvent.REQUEST_CHANGES:
        next_step = after_changes_requested(services, github, job, config, result)
    issue = issue_of_branch(pull.head_ref)
    if own_pull and issue is not None:
        track_review(services, github, job, issue, team, next_step)
    return job


def _run_reviewers(
    context: JobContext,
    job: ReviewJob,
    pull: PullInfo,
    config: RepoConfig,
    team: Team,
    files: list[Any],
    own_pull: bool,
) -> ReviewResult:
    """The reviewers and analysers in a fresh checkout of the pull request's head."""
    services, github = context.services, context.github
    comments = [] if job.no_review_comments else github.review_comments(job.pull)
    key = services.marker_key()
    earlier = posted_fingerprints([c.body for c in comments if c.author == github.bot_login], key)
    checkout = services.checkout_pull(github, pull, context.run_id)
    try:
        reviewers = config.flows["review"].agents if "review" in config.flows else []
        spec = spec_for_pull(services, github, job.repo, pull.head_ref) if own_pull else None
        stage = context.stage
        return review_changes(
            team,
            checkout,
            files,
            spec,
            pull=job.pull,
            title=pull.title,
            reviewers=reviewers,
            policy=config.review,
            already_posted=earlier,
            earlier=render_earlier(earlier_findings(comments, github.bot_login, key)),
            rounds=swarm_rounds(config),
            checkpoints=stage.members,
            record=lambda kind, payload, seq: stage.emit(kind, payload, seq=seq),
        )
    finally:
        services.workspaces.remove(checkout)


def swarm_rounds(config: RepoConfig) -> SwarmRounds:
    """The review flow as configured: a swarm (consensus rules, round limit, time box) or
    hub-and-spoke."""
    flow = config.flows.get("review")
    if flow is None:
        return SwarmRounds()
    rules = tuple(flow.consensus) or SwarmRounds().rules
    by_area = flow.pattern == "hub-and-spoke"
    return SwarmRounds(rules, flow.max_iterations, flow.time_box_seconds, by_area=by_area)


def _complete_check(
    github: RepoGitHub, job: ReviewJob, result: ReviewResult, review_id: int
) -> ReviewJob:
    """The check run's conclusion and annotations; the job with what the review found."""
    conclusion = check_conclusion(list(result.findings), result.event)
    assert job.check_run_id is not None  # the check stage opened it
    github.complete_check_run(
        job.check_run_id,
        conclusion,
        f"{len(result.findings)} finding(s)",
        check_summary(result.summary, result.not_reviewed),
        build_annotations(list(result.findings)),
    )
    return job.model_copy(
        update={
            "review_id": review_id,
            "findings": len(result.findings),
            "event": result.event.value,
            "conclusion": conclusion,
            "criteria_findings": tied_findings(result.findings),
            "reported": [open_finding(item) for item in result.findings],
        }
    )


def _superseded(context: JobContext, job: ReviewJob) -> ReviewJob:
    """A newer push cancelled this run while its swarm worked: post nothing, say so."""
    why = "A newer commit was pushed: its review replaces this one."
    return _unposted(context, job, "Superseded", why)


def _interrupted(context: JobContext, job: ReviewJob) -> ReviewJob:
    """The process stopped mid-review: no review posted, and no passing check."""
    why = (
        f"{context.services.stop_reason}: the review did not finish. "
        "Comment `/specbot review` to review this commit."
    )
    return _unposted(context, job, "Interrupted", why)


def _unposted(context: JobContext, job: ReviewJob, title: str, why: str) -> ReviewJob:
    """Post no review; end the check run ``cancelled`` with ``title`` and ``why``."""
    context.log.info("review not posted", reason=title.lower(), head_sha=job.head_sha)
    assert job.check_run_id is not None  # the check stage opened it
    context.github.complete_check_run(job.check_run_id, "cancelled", title, why, [])
    return job.model_copy(update={"conclusion": "cancelled"})


def _post(
    services: Services,
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
        key=services.marker_key(),
    )
    return github.post_review(job.pull, job.head_sha, draft)


def criteria_pipeline(services: Services) -> Pipeline:
    """The criteria check alone, for a person's push to specbot's pull request."""
    stage = job_stage(services, "criteria", ReviewJob, CriteriaResult, criteria_stage)
    return Pipeline("criteria", [stage], queue="review")


def review_pipeline(services: Services) -> Pipeline:
    """Open the check run (so it shows at once), review and post, then the criteria check."""
    return Pipeline(
        "review",
        [
            job_stage(services, "check", ReviewJob, ReviewJob, _check),
            job_stage(services, "review", ReviewJob, ReviewJob, _review),
            job_stage(services, "criteria", ReviewJob, CriteriaResult, criteria_stage),
        ],
        queue="review",
    )
