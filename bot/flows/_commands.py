"""``/specbot <verb>`` in issue and pull request comments.

``run`` and ``review`` start flows; ``retry`` starts the issue's spec (or the pull request's
review) again; ``cancel`` stops what is running; ``approve`` releases a plan that waits for
approval; ``status``, ``explain`` and ``help`` answer in a comment. Only people with write
access are obeyed; specbot's own comments are never read as commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.commands import VERBS, Command, find_command
from bot.flows import _clarify, _criteria
from bot.flows._context import FlowRouter, RepoContext, on_repository
from bot.flows._jobs import ReviewJob
from bot.flows._payloads import Comment, Issue, IssueCommentEvent
from bot.flows._review_trust import may_review
from bot.flows._runs import continue_spec_run, implement_again, spec_prefix, start_review_run
from bot.flows._services import ACTIVE, Services
from bot.flows._spec import trigger_spec
from bot.flows._state import SpecRun
from bot.flows._tracking import note_cancelled, tracking_key
from bot.orchestra import review_prefix, review_workflow_id
from bot.routing import Router
from bot.spec import lint, render_markdown

router: FlowRouter = Router()

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


REVIEWS_OFF = (
    "Reviews are turned off in this repository (`flows.review.enabled: false` in "
    "`.github/specbot.yml` on the default branch)."
)


@dataclass(frozen=True)
class Order:
    """One command to obey: where it was given, by whom, on which issue or pull request."""

    context: RepoContext
    issue: Issue
    comment: Comment
    command: Command

    @property
    def number(self) -> int:
        """The issue's or pull request's number."""
        return self.issue.number


Obey = Callable[[Order], "str | None"]


@router.register("issue_comment", action="created")
@on_repository(IssueCommentEvent)
def on_comment(event: IssueCommentEvent, context: RepoContext) -> None:
    """Obey a ``/specbot`` command in a new issue or pull request comment."""
    command = find_command(event.comment.body)
    if command is None:
        return
    number = event.issue.number
    # the issue's author may always answer its questions
    allowed = _clarify.author_answers(context, event.issue, command)
    if not allowed and not context.may_trigger(number):
        return
    verb = command.verb if command.is_known else "help"
    context.log.info("command", verb=verb, issue=number)
    if verb == "run" and not event.issue.is_pull:
        trigger_spec(context, event.issue, comment_id=event.comment.id)
        return
    context.github.react_to_comment(event.comment.id, "eyes")
    reply = _obey(verb, Order(context, event.issue, event.comment, command))
    if reply:
        context.github.create_comment(number, reply)


def _obey(verb: str, order: Order) -> str | None:
    """The reply to ``verb`` where it was given; None when the work says so elsewhere."""
    table = _ON_PULLS if order.issue.is_pull else _ON_ISSUES
    act = table.get(verb)
    if act is not None:
        return act(order)
    if order.issue.is_pull and verb in _ISSUES_ONLY:
        return f"`/specbot {verb}` works on issues, not on pull requests.\n\n{HELP}"
    if not order.issue.is_pull and verb == "waive":
        return f"`/specbot waive` works on specbot's pull requests, not on issues.\n\n{HELP}"
    return HELP


def _review(order: Order) -> str | None:
    """``review`` or ``retry`` on a pull request: the swarm on its head commit."""
    context = order.context
    if not context.config.flow_enabled("review"):
        return REVIEWS_OFF
    pull = context.github.pull(order.number)
    if not may_review(context.config, context.github, pull):
        return None  # a fork's pull request where forks are not reviewed: said once on it
    job = ReviewJob(
        repo=context.repo,
        installation_id=context.installation_id,
        pull=order.number,
        head_sha=pull.head_sha,
        pull_info=pull,
    )
    run_id = f"{review_workflow_id(context.repo, order.number, pull.head_sha)}/c{order.comment.id}"
    start_review_run(context.services, job, run_id)
    return None


def _retry_spec(order: Order) -> str | None:
    """``retry`` on an issue: a run the process stopped under continues from its last
    finished stage; otherwise the spec again, as a new run of the same text."""
    context = order.context
    suffix = f":retry-{order.comment.id}"
    if continue_spec_run(context.services, order.issue, context.repo, suffix) is not None:
        return None  # the tracking comment shows it (the sender was checked before)
    trigger_spec(context, order.issue, comment_id=order.comment.id, suffix=suffix)
    return None


def _prefix(order: Order) -> str:
    repo = order.context.repo
    is_pull = order.issue.is_pull
    return review_prefix(repo, order.number) if is_pull else spec_prefix(repo, order.number)


def _cancel(order: Order) -> str:
    """``cancel``: stop every active run here."""
    context = order.context
    active = context.services.active_runs(_prefix(order))
    for run in active:
        context.services.runs.cancel(run)
    if active and not order.issue.is_pull:
        key = tracking_key(context.repo, order.number)
        note_cancelled(context.github, order.number, key, context.sender)
    return f"Cancelled {len(active)} run(s)." if active else "Nothing is running here."


def _approve_order(order: Order) -> str:
    """``approve``: implement the plan that waits for approval."""
    return _approve(order.context.services, order.context.repo, order.number)


def _approve(services: Services, repo: str, number: int) -> str:
    for run_id in reversed(services.runs.run_ids(spec_prefix(repo, number))):
        if services.runs.status(run_id) != "SUCCESS":
            continue
        output = services.runs.result(run_id, timeout=0.0)
        state = SpecRun.model_validate(output)
        if not state.awaiting_approval:
            continue
        implement_again(
            services,
            state,
            f"{run_id}:approved",
            awaiting_approval=False,
            outcome="Plan approved: implementing.",
        )
        return "Plan approved: implementing it now. Progress shows in the tracking comment."
    return "There is no plan waiting for approval on this issue."


def _status(order: Order) -> str:
    """``status``: what specbot is doing here."""
    runs = order.context.services.runs
    found = runs.run_ids(_prefix(order))
    if not found:
        return "specbot has not run here yet."
    lines = [f"- `{run}`: {runs.status(run).lower()}" for run in found[-10:]]
    active = sum(1 for run in found if runs.status(run) in ACTIVE)
    return f"{active} run(s) active here. Latest runs:\n\n" + "\n".join(lines)


def _explain(order: Order) -> str:
    """``explain``: the gate's verdict on the issue as it is now."""
    issue = order.context.github.issue(order.number)
    return render_markdown(lint(issue.body, order.context.config.gate))


def _answer(order: Order) -> str | None:
    return _clarify.preview(order.context, order.issue.body, order.comment.body)


def _apply(order: Order) -> str:
    return _clarify.obey_apply(order.context, order.number, order.comment.id)


def _waive(order: Order) -> str | None:
    return _criteria.obey_waive(order.context, order.number, order.comment)


_ON_ISSUES: dict[str, Obey] = {
    "retry": _retry_spec,
    "cancel": _cancel,
    "approve": _approve_order,
    "answer": _answer,
    "apply": _apply,
    "status": _status,
    "explain": _explain,
}
_ON_PULLS: dict[str, Obey] = {
    "review": _review,
    "retry": _review,
    "cancel": _cancel,
    "waive": _waive,
    "status": _status,
}
_ISSUES_ONLY = frozenset({"run", "approve", "explain", "answer", "apply"})

__all__ = ["HELP", "VERBS", "router"]
