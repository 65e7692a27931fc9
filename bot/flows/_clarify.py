"""``/specbot answer`` and ``/specbot apply``: the author's answers become the spec.

Nothing is stored between the two commands: both recompute the questions from the issue body
as it is on GitHub (the gate is deterministic), and ``apply`` takes the latest answer comment
by the issue's author or by the person applying. The applied body records the answer comment's
id, so a second ``apply`` changes nothing; specbot's own edit is ignored by the edit handler
(never its own deliveries), and ``apply`` starts the gate's new run itself.
"""

from __future__ import annotations

from bot.clarify import (
    AmendError,
    Answers,
    Question,
    amend_spec,
    amended_body,
    applied_answers,
    questions_for,
    quotes_questions,
    read_answers,
    render_diff,
    split_original,
)
from bot.commands import Command, find_command
from bot.flows._context import FlowRouter, RepoContext, on_repository
from bot.flows._payloads import Issue, IssueCommentEvent
from bot.flows._runs import start_spec_run
from bot.flows._trigger import WRITE_PERMISSIONS, sender_type
from bot.ports import CommentInfo
from bot.routing import Router
from bot.spec import lint

router: FlowRouter = Router()


def _by_human_author(context: RepoContext, issue: Issue) -> bool:
    """True when the delivery's sender is the issue's own author, a person (not specbot)."""
    login = context.sender
    return (
        bool(login)
        and login == issue.author
        and not context.is_self()
        and sender_type(context.event) == "User"
        and not login.endswith("[bot]")
    )


def author_answers(context: RepoContext, issue: Issue, command: Command) -> bool:
    """True for ``/specbot answer`` by the issue's own (human) author, writer or not."""
    return command.verb == "answer" and _by_human_author(context, issue)


def _questions(context: RepoContext, body: str) -> list[Question]:
    return questions_for(lint(body, context.config.gate))


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _notes(questions: list[Question], answers: Answers) -> list[str]:
    notes: list[str] = []
    if answers.unknown:
        notes.append(
            f"There is no question {_numbers(list(answers.unknown))} (the questions are 1 to "
            f"{len(questions)}): those answers are left out."
        )
    open_ = [q.number for q in questions if q.number not in answers.by_number]
    if open_:
        notes.append(f"Question {_numbers(open_)} has no answer yet.")
    return notes


def preview(context: RepoContext, body: str, text: str) -> str | None:
    """The reply to an answer comment: the change specbot would make, as a diff."""
    questions = _questions(context, body)
    if not questions:
        return "The spec is ready: there is no open question to answer."
    answers = read_answers(text, questions)
    if not answers:
        return (
            "No answer found: write `/specbot answer` and then one numbered line per question "
            f"(`1. …`); the questions are 1 to {len(questions)}."
        )
    spec, _kept = split_original(body)
    try:
        amended_body(body, questions, answers, 0)
    except AmendError as exc:
        return f"These answers cannot be applied: {exc}."
    diff = render_diff(spec, amend_spec(spec, questions, answers))
    parts = [
        f"With these answers to question {_numbers(list(answers.by_number))}, specbot would "
        "change the issue like this:",
        diff,
        *_notes(questions, answers),
        "A person with write access comments `/specbot apply` to make this change: the spec "
        "as it is now stays in the issue in a collapsed block, and specbot checks the spec "
        "again.",
    ]
    return "\n\n".join(parts)


def _is_answer(comment: CommentInfo) -> bool:
    command = find_command(comment.body)
    if command is not None:
        return command.verb == "answer"
    return quotes_questions(comment.body)


def _latest_answer(
    comments: list[CommentInfo], authors: set[str], before: int
) -> CommentInfo | None:
    for comment in reversed(comments):
        if comment.id < before and comment.author in authors and _is_answer(comment):
            return comment
    return None


def obey_apply(context: RepoContext, number: int, comment_id: int) -> str:
    """``/specbot apply`` (write access): write the latest answers into the issue body."""
    services, github = context.services, context.github
    issue = github.issue(number)
    body = issue.body or ""
    applier = context.sender
    found = _latest_answer(github.comments(number), {issue.author, applier}, comment_id)
    if found is None:
        return f"There is no answer to apply: @{issue.author} answers with `/specbot answer`."
    spec_issue = Issue(number=number, title=issue.title, body=body)
    if found.id in applied_answers(body):
        start_spec_run(services, context.repo, context.installation_id, spec_issue)  # same run
        return f"Those answers ({found.html_url}) are already in the issue."
    questions = _questions(context, body)
    answers = read_answers(found.body, questions) if questions else Answers(by_number={})
    if not answers:
        return "The latest answers match no open question of the spec as it is now."
    try:
        new_body = amended_body(body, questions, answers, found.id)
    except AmendError as exc:
        return f"Not applied: {exc}."
    github.edit_issue_body(number, new_body)
    context.log.info("answers applied", issue=number, answer=found.id, by=applier)
    amended = spec_issue.model_copy(update={"body": new_body})
    start_spec_run(services, context.repo, context.installation_id, amended)
    spec = split_original(body)[0]
    change = render_diff(spec, split_original(new_body)[0])
    return (
        f"Applied the answers of {found.html_url} to the issue (the spec as it was is kept in a "
        f"collapsed block):\n\n{change}\n\nspecbot checks the spec again: see the tracking "
        "comment."
    )


def _may_answer(context: RepoContext, issue: Issue) -> bool:
    """The issue's author or a writer; silent for anyone else (no command was given)."""
    login = context.sender
    if not login or context.is_self() or sender_type(context.event) != "User":
        return False
    return login == issue.author or context.github.permission(login) in WRITE_PERMISSIONS


@router.register("issue_comment", action="created")
@on_repository(IssueCommentEvent)
def on_quote_reply(event: IssueCommentEvent, context: RepoContext) -> None:
    """A reply that quotes the author's questions and answers them: the preview."""
    text, issue = event.comment.body, event.issue
    if issue.is_pull or find_command(text) is not None:
        return  # commands have their own handler
    if not quotes_questions(text):
        return  # the cheap test first: no API call for an ordinary comment
    if not _may_answer(context, issue):
        return
    questions = _questions(context, issue.body)
    if not questions or not read_answers(text, questions):
        return
    reply = preview(context, issue.body, text)
    if reply:
        context.github.react_to_comment(event.comment.id, "eyes")
        context.github.create_comment(issue.number, reply)
