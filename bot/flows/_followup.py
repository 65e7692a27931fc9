"""The follow-up flow: review threads go back to the implementer, which pushes and replies.

Triggered by a review that requests changes (the swarm's, on specbot's pull requests, or a
person's), or by a review comment that mentions ``@specbot``. The threads are taken as they
were at the trigger. A question gets an answer in its thread and no commit. Rounds are
counted per pull request; past the configured maximum specbot asks a person to take over.
"""

from __future__ import annotations

import re
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, Field

from bot.commands import mentions
from bot.flows._review_trust import from_fork
from bot.flows._services import Services, current
from bot.flows._trigger import is_self, may_trigger, where
from bot.ingest import IngestRouter
from bot.orchestra import Pipeline, Stage, StageContext, issue_partition
from bot.ports import PullInfo, RepoGitHub, ReviewCommentInfo, bot_identity
from bot.posted import GITHUB_BODY_LIMIT, inert_plain, inert_text
from bot.routing import Router
from bot.untrusted import delimit
from bot.webhooks import Event
from bot.work import (
    SpecText,
    Team,
    answer,
    follow_up,
    shell_base_env,
    venv_environment,
)
from bot.workspace import exclude_caches, restore_before_commit, snapshot_git

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()
_QUESTION = re.compile(r"\?\s*$|^\s*(why|what|how|when|where|which|who|is|are|does|do|can)\b", re.I)


class Thread(BaseModel):
    """One review thread as it was at the trigger: the comment to reply to and its text."""

    model_config = ConfigDict(frozen=True)

    reply_to: int
    path: str
    line: int | None
    text: str


class FollowUpJob(BaseModel):
    """One follow-up round on a pull request."""

    model_config = ConfigDict(extra="forbid")

    repo: str
    installation_id: int
    pull: int
    round: int
    threads: list[Thread] = Field(default_factory=list)
    question_from: str | None = None  # set when the trigger is a question to answer
    outcome: str = ""
    commit: str | None = None


def _prefix(repo: str, pull: int) -> str:
    return f"follow-up:{repo}#{pull}/"


def rounds_so_far(services: Services, repo: str, pull: int) -> int:
    """How many follow-up rounds (questions excluded) ran on this pull request."""
    return sum(1 for run in services.runs.run_ids(_prefix(repo, pull)) if ":q" not in run)


def _start(services: Services, job: FollowUpJob, trigger: str) -> str:
    issue = job.pull
    return services.runs.start_pipeline(
        "follow-up",
        job.model_dump(mode="json"),
        workflow_id=f"{_prefix(job.repo, job.pull)}{trigger}",
        queue="implement",
        partition=issue_partition(job.repo, issue),
    )


def _thread_text(comments: list[ReviewCommentInfo], root: int) -> str:
    chain = [c for c in comments if c.id == root or c.in_reply_to_id == root]
    return "\n\n".join(f"{c.author} on {c.path}:{c.line}: {c.body}" for c in chain)


def review_threads(comments: list[ReviewCommentInfo], review_id: object) -> list[Thread]:
    """The threads a review started, each with its whole text (replies included)."""
    return [
        Thread(reply_to=c.id, path=c.path, line=c.line, text=_thread_text(comments, c.id))
        for c in comments
        if c.review_id == review_id and c.in_reply_to_id is None
    ]


def after_review(services: Services, github: RepoGitHub, job: object, head_ref: str) -> str:
    """After the swarm requested changes on specbot's pull request: a round, or a person.

    Returns the next step, in words for the tracking comment.
    """
    from bot.flows._review import ReviewJob

    assert isinstance(job, ReviewJob)
    config = services.repo_config(github)
    allowed = config.flows["follow-up"].max_rounds if "follow-up" in config.flows else 0
    done = rounds_so_far(services, job.repo, job.pull)
    if done >= allowed:
        github.create_comment(
            job.pull,
            f"specbot made {done} follow-up round(s), the most this repository allows, and the "
            "review still requests changes. A person should take it from here.",
        )
        return f"specbot stopped after {done} follow-up round(s): a person should take over."
    threads = review_threads(github.review_comments(job.pull), job.review_id)
    follow = FollowUpJob(
        repo=job.repo,
        installation_id=job.installation_id,
        pull=job.pull,
        round=done + 1,
        threads=threads,
    )
    _start(services, follow, f"review-{job.review_id}")
    return f"Follow-up round {done + 1} of {allowed} addresses the findings."


@router.register("pull_request_review", action="submitted")
def on_review(event: Event, context: StageContext) -> None:
    """A person's review requesting changes starts a round with its threads."""
    review = event.payload.get("review")
    pull = event.payload.get("pull_request")
    place = where(event)
    if place is None or not isinstance(review, dict) or not isinstance(pull, dict):
        return
    if str(review.get("state", "")).lower() != "changes_requested":
        return
    if from_fork(pull):  # specbot never pushes to, nor runs rounds on, a fork's branch
        log.info("no follow-up: a pull request from a fork", pull=pull.get("number"))
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    number = int(pull["number"])
    if not may_trigger(event, github, services.repo_config(github), number):
        return
    threads = review_threads(github.review_comments(number), review.get("id"))
    body = str(review.get("body") or "")
    if body.strip():
        threads.insert(0, Thread(reply_to=0, path="", line=None, text=f"review: {body}"))
    job = FollowUpJob(
        repo=place.repo,
        installation_id=place.installation_id,
        pull=number,
        round=rounds_so_far(services, place.repo, number) + 1,
        threads=threads,
    )
    _start(services, job, f"review-{review.get('id')}")


@router.register("pull_request_review_comment", action="created")
def on_mention(event: Event, context: StageContext) -> None:
    """A review comment mentioning ``@specbot``: an answer for a question, else a round."""
    comment = event.payload.get("comment")
    pull = event.payload.get("pull_request")
    place = where(event)
    if place is None or not isinstance(comment, dict) or not isinstance(pull, dict):
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    text = str(comment.get("body") or "")
    name = github.bot_login.removesuffix("[bot]")
    if is_self(event, github) or not mentions(text, name):
        return
    if from_fork(pull):
        log.info("no follow-up: a pull request from a fork", pull=pull.get("number"))
        return
    number = int(pull["number"])
    if not may_trigger(event, github, services.repo_config(github), number):
        return
    root = int(comment.get("in_reply_to_id") or comment["id"])
    earlier = [c for c in github.review_comments(number) if c.id != comment["id"]]
    thread = _thread_text(earlier, root)
    author = event.sender_login or "someone"
    thread = f"{thread}\n\n{author}: {text}".strip()
    question = bool(_QUESTION.search(text.replace(f"@{name}", "").strip()))
    job = FollowUpJob(
        repo=place.repo,
        installation_id=place.installation_id,
        pull=number,
        round=rounds_so_far(services, place.repo, number) + (0 if question else 1),
        threads=[
            Thread(
                reply_to=root,
                path=str(comment.get("path", "")),
                line=comment.get("line"),
                text=thread,
            )
        ],
        question_from=author if question else None,
    )
    _start(services, job, f"{'q' if question else 'c'}{comment['id']}")


def _delimited(job: FollowUpJob) -> str:
    parts = [delimit(thread.text, f"review thread #{thread.reply_to}") for thread in job.threads]
    return "\n\n".join(parts) or "_No thread text._"


def _work(context: StageContext, data: object) -> FollowUpJob:
    assert isinstance(data, FollowUpJob)
    job = data
    services = current()
    github = services.github(job.repo, job.installation_id)
    pull = github.pull(job.pull)
    if pull.from_fork:  # its branch is not in this repository: nothing to check out or push
        return job.model_copy(update={"outcome": "from a fork: not followed up"})
    workspaces = services.workspaces
    workspaces.refresh_mirror(job.repo, github.clone_url(), github.git_credentials())
    checkout = workspaces.checkout(
        job.repo, context.run_id, pull.head_ref, pull.base_ref, github.clone_url()
    )
    exclude_caches(checkout)
    team = services.team()
    try:
        if job.question_from is not None:
            return _answer(github, team, checkout, job, pull.title)
        return _round(services, github, team, checkout, job, context.run_id, pull)
    finally:
        workspaces.remove(checkout)


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
) -> FollowUpJob:
    workspaces = services.workspaces
    trailer = f"Specbot-Run: {run_id}"
    commit = next(
        (m for m in workspaces.log_messages(checkout, pull.base_ref) if trailer in m), None
    )
    summary = ""
    if commit is None:
        config = services.repo_config(github, pull.base_ref)
        commands, _environment = services.set_up(
            checkout, job.repo, config.workspace, f"{job.pull}-{job.round}"
        )
        snapshot = snapshot_git(checkout)
        from bot.flows._review import spec_for_pull

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


def followup_pipeline() -> Pipeline:
    """One stage: the round (or the answer), its commit, push and replies."""
    return Pipeline(
        "follow-up", [Stage("follow-up", FollowUpJob, FollowUpJob, _work)], queue="implement"
    )
