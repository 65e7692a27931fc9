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
from pydantic import BaseModel, ConfigDict

from bot.branches import is_specbot_branch, issue_of_branch
from bot.flows._services import Services, current
from bot.flows._transient import retry_transient
from bot.flows._trigger import where
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
    draft_review,
    posted_fingerprints,
)
from bot.routing import Router
from bot.webhooks import Event
from bot.work import ReviewResult, SpecText, review_changes

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()
CHECK_NAME = "specbot/review"
REVIEW_MARKER = "<!-- specbot:review:{sha} -->"


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


def review_queue_options(repo: str) -> dict[str, Any]:
    """Reviews go on the ``review`` queue, a few per repository at a time."""
    return {"queue": "review", "partition": repo}


def start_review_run(services: Services, job: ReviewJob, workflow_id: str | None = None) -> str:
    """Start the review of ``job``'s head commit; cancel older reviews of the same pull request."""
    run_id = workflow_id or review_workflow_id(job.repo, job.pull, job.head_sha)
    for older in services.active_runs(review_prefix(job.repo, job.pull)):
        if older != run_id and not older.startswith(run_id):
            log.info("a newer push supersedes a review", cancelled=older, by=run_id)
            services.runs.cancel(older)
    return services.runs.start_pipeline(
        "review", job.model_dump(mode="json"), workflow_id=run_id, **review_queue_options(job.repo)
    )


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
def on_push(event: Event, context: StageContext) -> None:
    """Review every new head commit of specbot's own pull requests."""
    place = where(event)
    pull = event.payload.get("pull_request")
    if place is None or not isinstance(pull, dict):
        return
    head = pull.get("head") or {}
    if not is_specbot_branch(str(head.get("ref") or "")):
        return  # other pull requests are reviewed on request: /specbot review
    if (pull.get("state") or "open") != "open":
        return
    job = ReviewJob(
        repo=place.repo,
        installation_id=place.installation_id,
        pull=int(pull["number"]),
        head_sha=str(head["sha"]),
    )
    start_review_run(current(), job)


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


def _spec_of(github: RepoGitHub, head_ref: str) -> SpecText | None:
    issue = issue_of_branch(head_ref)
    if issue is None:
        return None
    info = github.issue(issue)
    return SpecText.of(info.number, info.title, info.body)


def _review(context: StageContext, data: object) -> ReviewJob:
    assert isinstance(data, ReviewJob)
    job = data
    services = current()
    github = services.github(job.repo, job.installation_id)
    marker = REVIEW_MARKER.format(sha=job.head_sha)
    existing = github.find_own_review(job.pull, marker)
    if existing is not None:  # posted before a crash: finish the check run only
        log.info("review already posted", review_id=existing)
    pull = github.pull(job.pull)
    config = services.repo_config(github, pull.base_ref)
    files = github.pull_files(job.pull)
    earlier = posted_fingerprints(comment.body for comment in github.review_comments(job.pull))
    workspaces = services.workspaces
    workspaces.refresh_mirror(job.repo, github.clone_url(), github.git_credentials())
    checkout = workspaces.checkout(
        job.repo, context.run_id, pull.head_ref, pull.base_ref, github.clone_url()
    )
    team = services.team()
    try:
        reviewers = config.flows["review"].agents if "review" in config.flows else []
        result = review_changes(
            team,
            checkout,
            files,
            _spec_of(github, pull.head_ref),
            pull=job.pull,
            title=pull.title,
            reviewers=reviewers,
            policy=config.review,
            already_posted=earlier,
        )
    finally:
        workspaces.remove(checkout)
    if services.runs.status(context.run_id) == "CANCELLED":
        return _superseded(github, job)
    own_pull = is_specbot_branch(pull.head_ref)

    def post_once() -> int:
        # A POST that failed with a 5xx may have been posted all the same: look first.
        found = github.find_own_review(job.pull, marker)
        return found if found is not None else _post(github, job, result, files, own_pull, marker)

    review_id = existing if existing is not None else retry_transient(post_once, "posting")
    conclusion = check_conclusion(list(result.findings), result.event)
    assert job.check_run_id is not None
    github.complete_check_run(
        job.check_run_id,
        conclusion,
        f"{len(result.findings)} finding(s)",
        result.summary + _not_reviewed(result),
        build_annotations(list(result.findings)),
    )
    job = job.model_copy(
        update={
            "review_id": review_id,
            "findings": len(result.findings),
            "event": result.event.value,
            "conclusion": conclusion,
        }
    )
    if own_pull and result.event is ReviewEvent.REQUEST_CHANGES:
        from bot.flows._followup import after_review

        after_review(services, github, job, pull.head_ref)
    return job


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


def _not_reviewed(result: ReviewResult) -> str:
    if not result.not_reviewed:
        return ""
    return "\n\nNot reviewed:\n" + "\n".join(f"- {item}" for item in result.not_reviewed)


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
        f"{marker}\n{result.summary}",
        result.not_reviewed,
    )
    return github.post_review(job.pull, job.head_sha, draft)


def review_pipeline() -> Pipeline:
    """Two stages: open the check run (so it shows at once), then review and post."""
    return Pipeline(
        "review",
        [
            Stage("check", ReviewJob, ReviewJob, _check),
            Stage("review", ReviewJob, ReviewJob, _review),
        ],
        queue="review",
    )
