"""``/specbot <verb>`` in issue and pull request comments.

``run`` and ``review`` start flows; ``retry`` starts the issue's spec (or the pull request's
review) again; ``cancel`` stops what is running; ``approve`` releases a plan that waits for
approval; ``status``, ``explain`` and ``help`` answer in a comment. Only people with write
access are obeyed; specbot's own comments are never read as commands.
"""

from __future__ import annotations

import structlog

from bot.commands import VERBS, find_command
from bot.flows import _clarify, _criteria
from bot.flows._review import ReviewJob, start_review_run
from bot.flows._review_trust import may_review
from bot.flows._services import ACTIVE, Services, current
from bot.flows._spec import spec_prefix, trigger_spec
from bot.flows._state import SpecRun
from bot.flows._tracking import note_cancelled, tracking_key
from bot.flows._trigger import may_trigger, where
from bot.ingest import IngestRouter
from bot.orchestra import StageContext, issue_partition, review_prefix, review_workflow_id
from bot.ports import RepoGitHub
from bot.routing import Router
from bot.spec import lint, render_markdown
from bot.tracking import Stage
from bot.webhooks import Event

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()

HELP = """specbot commands (people with write access):

- `/specbot run`: check this issue's spec and, when it is ready, implement it in a pull request
- `/specbot review`: review this pull request with the reviewer swarm
- `/specbot retry`: run the spec (or the review) again
- `/specbot cancel`: stop what specbot is doing here
- `/specbot approve`: implement the plan that waits for approval
- `/specbot status`: what specbot is doing here
- `/specbot explain`: the spec check's verdict for this issue, with what to fix
- `/specbot answer`: answer the spec's questions, one numbered line each (`1. …`); specbot
  shows the change to the issue it would make
- `/specbot apply`: write the latest answers into the issue and check the spec again
- `/specbot waive N reason`: on a pull request, waive acceptance criterion N (the reason is
  recorded with your name in the `specbot/criteria` check)
- `/specbot help`: this list"""


@router.register("issue_comment", action="created")
def on_comment(event: Event, context: StageContext) -> None:
    """Obey a ``/specbot`` command in a new issue or pull request comment."""
    comment = event.payload.get("comment")
    issue = event.payload.get("issue")
    place = where(event)
    if place is None or not isinstance(comment, dict) or not isinstance(issue, dict):
        return
    command = find_command(str(comment.get("body") or ""))
    if command is None:
        return
    services = current()
    github = services.github(place.repo, place.installation_id)
    number = int(issue["number"])
    allowed = _clarify.author_answers(event, github, command)  # the author may always answer
    if not allowed and not may_trigger(event, github, services.repo_config(github), number):
        return
    comment_id = int(comment["id"])
    is_pull = isinstance(issue.get("pull_request"), dict)
    verb = command.verb if command.is_known else "help"
    log.info("command", verb=verb, issue=number)
    if verb == "run" and not is_pull:
        trigger_spec(event, comment_id=comment_id)
        return
    github.react_to_comment(comment_id, "eyes")
    reply = _obey(verb, services, github, event, number, is_pull, comment_id)
    if reply:
        github.create_comment(number, reply)


def _obey(
    verb: str,
    services: Services,
    github: RepoGitHub,
    event: Event,
    number: int,
    is_pull: bool,
    comment_id: int,
) -> str | None:
    repo = github.full_name
    if verb in ("review", "retry") and is_pull:
        return _review(services, github, event, number, comment_id)
    if verb == "retry":
        trigger_spec(event, comment_id=comment_id, suffix=f":retry-{comment_id}")
        return None
    if verb == "cancel":
        prefix = review_prefix(repo, number) if is_pull else spec_prefix(repo, number)
        active = services.active_runs(prefix)
        for run in active:
            services.runs.cancel(run)
        if active and not is_pull:
            note_cancelled(github, number, tracking_key(repo, number), event.sender_login or "")
        return f"Cancelled {len(active)} run(s)." if active else "Nothing is running here."
    if verb == "approve" and not is_pull:
        return _approve(services, repo, number)
    if verb == "answer" and not is_pull:
        return _clarify.obey_answer(services, github, event)
    if verb == "apply" and not is_pull:
        return _clarify.obey_apply(services, github, event, number, comment_id)
    if verb == "waive" and is_pull:
        return _criteria.obey_waive(services, github, event, number, comment_id)
    if verb == "status":
        return _status(services, repo, number, is_pull)
    if verb == "explain" and not is_pull:
        issue = github.issue(number)
        verdict = lint(issue.body, services.repo_config(github).gate)
        return render_markdown(verdict)
    if verb in ("run", "approve", "explain", "answer", "apply"):
        return f"`/specbot {verb}` works on issues, not on pull requests.\n\n{HELP}"
    if verb == "waive":
        return f"`/specbot waive` works on specbot's pull requests, not on issues.\n\n{HELP}"
    return HELP


def _review(
    services: Services, github: RepoGitHub, event: Event, number: int, comment_id: int
) -> str | None:
    place = where(event)
    assert place is not None
    pull = github.pull(number)
    if not may_review(services, github, pull):
        return None  # a fork's pull request where forks are not reviewed: said once on it
    job = ReviewJob(
        repo=place.repo, installation_id=place.installation_id, pull=number, head_sha=pull.head_sha
    )
    run_id = f"{review_workflow_id(place.repo, number, pull.head_sha)}/c{comment_id}"
    start_review_run(services, job, run_id)
    return None


def _approve(services: Services, repo: str, number: int) -> str:
    for run_id in reversed(services.runs.run_ids(spec_prefix(repo, number))):
        if services.runs.status(run_id) != "SUCCESS":
            continue
        output = services.runs.result(run_id, timeout=0.0)
        state = SpecRun.model_validate(output)
        if not state.awaiting_approval:
            continue
        stages = [
            stage if stage.name in ("gate", "plan") else Stage(name=stage.name)
            for stage in state.stages
        ]
        approved = state.model_copy(
            update={
                "awaiting_approval": False,
                "stopped": False,
                "outcome": "Plan approved: implementing.",
                "next_steps": [],
                "stages": stages,
            }
        )
        services.runs.start_pipeline(
            "spec-approved",
            approved.model_dump(mode="json"),
            workflow_id=f"{run_id}:approved",
            queue="implement",
            partition=issue_partition(repo, number),
        )
        return "Plan approved: implementing it now. Progress shows in the tracking comment."
    return "There is no plan waiting for approval on this issue."


def _status(services: Services, repo: str, number: int, is_pull: bool) -> str:
    prefix = review_prefix(repo, number) if is_pull else spec_prefix(repo, number)
    runs = services.runs.run_ids(prefix)
    if not runs:
        return "specbot has not run here yet."
    lines = [f"- `{run}`: {services.runs.status(run).lower()}" for run in runs[-10:]]
    active = sum(1 for run in runs if services.runs.status(run) in ACTIVE)
    return f"{active} run(s) active here. Latest runs:\n\n" + "\n".join(lines)


__all__ = ["HELP", "VERBS", "router"]
