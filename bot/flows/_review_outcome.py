"""What follows a posted review: ``review.completed`` for the repository's event flows, the
next step on specbot's own pull request (a follow-up round, the escalation chain, or a person)
and the issue's tracking comment."""

from __future__ import annotations

from bot.config import RepoConfig
from bot.flows._context import JobContext
from bot.flows._escalation import may_fix, start_escalation
from bot.flows._jobs import FollowUpJob, ReviewJob, review_threads
from bot.flows._runs import latest_spec_state, rounds_so_far, start_followup_run
from bot.flows._services import Services
from bot.flows._tracking import upsert_tracking
from bot.ports import RepoGitHub
from bot.review import ReviewEvent
from bot.work import ReviewResult, Team


def publish_completed(context: JobContext, job: ReviewJob) -> None:
    """``review.completed``, the root of a chain of its own: repositories' event flows start
    there (a retried stage publishes the same event, which is stored once). ``event_flows``
    says whether the configuration the review read declares any, so a repository without one
    costs its subscriber no read of the configuration."""
    payload = {
        "event_flows": job.config is not None and bool(job.config.event_flows()),
        "repository": job.repo,
        "installation_id": job.installation_id,
        "pull": job.pull,
        "head_sha": job.head_sha,
        "conclusion": job.conclusion,
        "event": job.event,
        "findings": job.findings,
    }
    context.stage.emit("review.completed", payload, new_chain=True)


def after_changes_requested(
    services: Services,
    github: RepoGitHub,
    job: ReviewJob,
    config: RepoConfig,
    result: ReviewResult,
) -> str:
    """After the swarm requested changes on specbot's pull request: a round, the escalation
    chain (a hierarchy), or a person.

    Returns the next step, in words for the tracking comment.
    """
    if not config.flow_enabled("follow-up"):
        return "Follow-up rounds are turned off here: a person takes it from here."
    allowed = config.flows["follow-up"].max_rounds
    done = rounds_so_far(services, job.repo, job.pull)
    if done >= allowed or not may_fix(config):
        spent = FollowUpJob(
            repo=job.repo,
            installation_id=job.installation_id,
            pull=job.pull,
            round=done,
            config=config,
        )
        escalated = start_escalation(services, spent, config, list(result.findings), job.review_id)
        if escalated is not None:
            return escalated
        why = (
            f"specbot made {done} follow-up round(s), the most this repository allows,"
            if done >= allowed
            else "specbot's implementer may not fix here (no `fix` in its authority),"
        )
        github.create_comment(
            job.pull,
            f"{why} and the review still requests changes. A person should take it from here.",
        )
        return f"specbot stopped after {done} follow-up round(s): a person should take over."
    follow = FollowUpJob(
        repo=job.repo,
        installation_id=job.installation_id,
        pull=job.pull,
        round=done + 1,
        threads=review_threads(github.review_comments(job.pull), job.review_id),
        config=config,
    )
    start_followup_run(services, follow, f"review-{job.review_id}")
    return f"Follow-up round {done + 1} of {allowed} addresses the findings."


def track_review(
    services: Services,
    github: RepoGitHub,
    job: ReviewJob,
    issue: int,
    team: Team,
    next_step: str,
) -> None:
    """Add the review's verdict, links and usage to the issue's tracking comment."""
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
