"""The follow-up flow: review threads go back to the implementer, which pushes and replies.

Triggered by a review that requests changes (the swarm's, on specbot's pull requests, or a
person's), or by a review comment that mentions ``@specbot``. The threads are taken as they
were at the trigger. A question gets an answer in its thread and no commit. Rounds are
counted per pull request; past the configured maximum specbot asks a person to take over.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands import mentions
from bot.config import RepoConfig
from bot.flows._context import FlowRouter, JobContext, RepoContext, job_stage, on_repository
from bot.flows._escalation import settle_findings
from bot.flows._jobs import FollowUpJob, Thread, review_threads, thread_text
from bot.flows._payloads import PullRequest, PullRequestReviewEvent, ReviewCommentEvent
from bot.flows._runs import rounds_so_far, spec_for_pull, start_followup_run
from bot.flows._services import Services
from bot.orchestra import Pipeline
from bot.ports import PullInfo, RepoGitHub, bot_identity
from bot.posted import GITHUB_BODY_LIMIT, inert_plain, inert_text
from bot.routing import Router
from bot.untrusted import delimit
from bot.work import (
    SpecText,
    Team,
    answer,
    follow_up,
    shell_base_env,
    venv_environment,
)
from bot.workspace import exclude_caches, restore_before_commit, snapshot_git

router: FlowRouter = Router()
_QUESTION = re.compile(r"\?\s*$|^\s*(why|what|how|when|where|which|who|is|are|does|do|can)\b", re.I)


def _may_follow_up(pull: PullRequest, context: RepoContext) -> bool:
    """Whether a person's review or mention may start a round here (a refused person is told
    once): never on a fork's branch, which specbot cannot push to, nor where rounds are off."""
    if pull.from_fork:
        context.log.info("no follow-up: a pull request from a fork", pull=pull.number)
        return False
    if not context.may_trigger(pull.number):
        return False
    if not context.config.flow_enabled("follow-up"):
        context.log.info("no follow-up: follow-up rounds are turned off here", pull=pull.number)
        return False
    return True


@router.register("pull_request_review", action="submitted")
@on_repository(PullRequestReviewEvent)
def on_review(event: PullRequestReviewEvent, context: RepoContext) -> None:
    """A person's review requesting changes starts a round with its threads."""
    review, pull = event.review, event.pull_request
    if review.state.lower() != "changes_requested" or not _may_follow_up(pull, context):
        return
    threads = review_threads(context.github.review_comments(pull.number), review.id)
    if review.body.strip():
        threads.insert(0, Thread(reply_to=0, path="", line=None, text=f"review: {review.body}"))
    job = FollowUpJob(
        repo=context.repo,
        installation_id=context.installation_id,
        pull=pull.number,
        round=rounds_so_far(context.services, context.repo, pull.number) + 1,
        threads=threads,
        config=context.config if event.into_default_branch else None,
    )
    start_followup_run(context.services, job, f"review-{review.id}")


@router.register("pull_request_review_comment", action="created")
@on_repository(ReviewCommentEvent)
def on_mention(event: ReviewCommentEvent, context: RepoContext) -> None:
    """A review comment mentioning ``@specbot``: an answer for a question, else a round."""
    comment, pull = event.comment, event.pull_request
    name = context.services.mention or context.github.bot_login.removesuffix("[bot]")
    if context.is_self() or not mentions(comment.body, name):
        return
    if not _may_follow_up(pull, context):
        return
    root = comment.in_reply_to_id or comment.id
    earlier = [c for c in context.github.review_comments(pull.number) if c.id != comment.id]
    author = context.sender or "someone"
    thread = f"{thread_text(earlier, root)}\n\n{author}: {comment.body}".strip()
    question = bool(_QUESTION.search(comment.body.replace(f"@{name}", "").strip()))
    job = FollowUpJob(
        repo=context.repo,
        installation_id=context.installation_id,
        pull=pull.number,
        round=rounds_so_far(context.services, context.repo, pull.number) + (0 if question else 1),
        threads=[Thread(reply_to=root, path=comment.path, line=comment.line, text=thread)],
        question_from=author if question else None,
        config=context.config if event.into_default_branch else None,
    )
    start_followup_run(context.services, job, f"{'q' if question else 'c'}{comment.id}")


def _delimited(job: FollowUpJob) -> str:
    parts = [delimit(thread.text, f"review thread #{thread.reply_to}") for thread in job.threads]
    return "\n\n".join(parts) or "_No thread text._"


def _work(context: JobContext, job: FollowUpJob) -> FollowUpJob:
    """The round (or the answer) in a fresh checkout of the pull request's branch."""
    services, github = context.services, context.github
    pull = github.pull(job.pull)
    if pull.from_fork:  # its branch is not in this repository: nothing to check out or push
        return job.model_copy(update={"outcome": "from a fork: not followed up"})
    checkout = services.checkout_pull(github, pull, context.run_id)
    exclude_caches(checkout)
    config = job.config or services.repo_config(github, pull.base_ref)
    # the repository's agents: settings (model, thinking, limits) apply to this round's agent
    team = services.team(run_id=context.run_id, config=config)
    try:
        if job.question_from is not None:
            return _answer(github, team, checkout, job, pull.title)
        if job.settle_by is not None:
            return settle_findings(context, team, checkout, job, pull, config)
        return _round(services, github, team, checkout, job, context.run_id, pull, config)
    finally:
        services.workspaces.remove(checkout)


def _answer(
    github: RepoGitHub, team: Team, checkout: Path, job: FollowUpJob, title: str
) -> FollowUpJob:
    outcome = answer(
        team,
        checkout,
        author=job.question_from or "",
        pull=job.pull,
        title=title,
        thread=_delimited(job),
    )
    reply = inert_text(outcome.final_text.strip() or "I could not find an answer to that.")
    github.reply_to_review_comment(job.pull, job.threads[0].reply_to, reply)
    return job.model_copy(update={"outcome": "answered"})


def _round(
    services: Services,
    github: RepoGitHub,
    team: Team,
    checkout: Path,
    job: FollowUpJob,
    run_id: str,
    pull: PullInfo,
    config: RepoConfig,
) -> FollowUpJob:
    workspaces = services.workspaces
    trailer = f"Specbot-Run: {run_id}"
    commit = next(
        (m for m in workspaces.log_messages(checkout, pull.base_ref) if trailer in m), None
    )
    summary = ""
    if commit is None:
        commands, _environment = services.set_up(
            checkout, job.repo, config.workspace, f"{job.pull}-{job.round}"
        )
        snapshot = snapshot_git(checkout)
        spec = spec_for_pull(services, github, job.repo, pull.head_ref) or SpecText.of(
            job.pull, pull.title, pull.body
        )
        outcome = follow_up(
            team,
            checkout,
            spec,
            pull=job.pull,
            round_number=job.round,
            threads=_delimited(job),
            commands=commands,
            allow_paths=config.workspace.allow_paths,
            shell_env=venv_environment(commands.venv_dir, shell_base_env()),
        )
        if services.stopping.is_set():  # half a round is not pushed onto a pull request
            return job.model_copy(update={"outcome": "interrupted"})
        summary = outcome.final_text.strip()
        restore_before_commit(
            checkout, f"origin/{pull.base_ref}", snapshot, config.workspace.allow_paths
        )
        said = inert_plain(summary[:2000])  # no closing keyword, no mention in the history
        message = f"Follow-up round {job.round} on #{job.pull}\n\n{said}\n\n{trailer}"
        sha = workspaces.commit_all(checkout, message, bot_identity(github.bot_login))
        if sha is None:
            _reply_all(github, job, run_id, summary or "No change was needed.")
            return job.model_copy(update={"outcome": "no change"})
        workspaces.push(checkout, pull.head_ref, github.git_credentials())
    head = workspaces.head_sha(checkout)
    _reply_all(github, job, run_id, f"Changed in {head[:12]}.\n\n{summary}".strip())
    return job.model_copy(update={"outcome": "pushed", "commit": head})


def _reply_all(github: RepoGitHub, job: FollowUpJob, run_id: str, text: str) -> None:
    """Reply once in each thread of the round (a repeat after a crash finds its replies)."""
    marker = f"<!-- specbot:reply:{run_id} -->"
    replied = {
        c.in_reply_to_id
        for c in github.review_comments(job.pull)
        if marker in c.body and c.author == github.bot_login
    }
    body = f"{marker}\n{inert_text(text, GITHUB_BODY_LIMIT - len(marker) - 1)}"
    for thread in job.threads:
        if thread.reply_to and thread.reply_to not in replied:
            github.reply_to_review_comment(job.pull, thread.reply_to, body)
    if not any(thread.reply_to for thread in job.threads):
        github.create_comment(job.pull, body)


def followup_pipeline(services: Services) -> Pipeline:
    """One stage: the round (or the answer), its commit, push and replies."""
    stage = job_stage(services, "follow-up", FollowUpJob, FollowUpJob, _work)
    return Pipeline("follow-up", [stage], queue="implement")
