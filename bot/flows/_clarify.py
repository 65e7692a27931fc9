"""``/specbot answer`` and ``/specbot apply``: the author's answers become the spec.

Nothing is stored between the two commands: both recompute the questions from the issue body
as it is on GitHub (the gate is deterministic), and ``apply`` takes the latest answer comment
by the issue's author or by the person applying. The applied body records the answer comment's
id, so a second ``apply`` changes nothing; specbot's own edit is ignored by the edit handler
(never its own deliveries), and ``apply`` starts the gate's new run itself.
"""

from __future__ import annotations

import structlog

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
from bot.flows._services import Services, current
from bot.flows._spec import start_spec_run
from bot.flows._trigger import WRITE_PERMISSIONS, is_self, sender_type, where
from bot.ingest import IngestRouter
from bot.orchestra import StageContext
from bot.ports import CommentInfo, RepoGitHub
from bot.routing import Router
from bot.spec import lint
from bot.webhooks import Event

log = structlog.get_logger("specbot.flows")
router: IngestRouter = Router()


def _issue_author(event: Event) -> str:
    issue = event.payload.get("issue")
    user = issue.get("user") if isinstance(issue, dict) else None
    login = user.get("login") if isinstance(user, dict) else None
    return str(login or "")


def author_answers(event: Event, github: RepoGitHub, command: Command) -> bool:
    """True for ``/specbot answer`` by the issue's own (human) author, writer or not."""
    login = event.sender_login or ""
    return (
        command.verb == "answer"
        and bool(login)
        and login == _issue_author(event)
        and not is_self(event, github)
        and sender_type(event) == "User"
        and not login.endswith("[bot]")
    )


def _questions(services: Services, github: RepoGitHub, body: str) -> list[Question]:
    return questions_for(lint(body, services.repo_config(github).gate))


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


def preview(services: Services, github: RepoGitHub, body: str, text: str) -> str | None:
    """The reply to an answer comment: the change specbot would make, as a diff."""
    questions = _questions(services, github, body)
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


def obey_answer(services: Services, github: RepoGitHub, event: Event) -> str | None:
    """``/specbot answer`` on an issue: the preview of the amended body."""
    issue = event.payload.get("issue")
    comment = event.payload.get("comment")
    if not isinstance(issue, dict) or not isinstance(comment, dict):
        return None
    return preview(services, github, str(issue.get("body") or ""), str(comment.get("body") or ""))


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


def obey_apply(
    services: Services, github: RepoGitHub, event: Event, number: int, comment_id: int
) -> str:
    """``/specbot apply`` (write access): write the latest answers into the issue body."""
    place = where(event)
    assert place is not None
    issue = github.issue(number)
    body = issue.body or ""
    applier = event.sender_login or ""
    found = _latest_answer(github.comments(number), {issue.author, applier}, comment_id)
    if found is None:
        return f"There is no answer to apply: @{issue.author} answers with `/specbot answer`."
    spec_issue: dict[str, object] = {"number": number, "title": issue.title, "body": body}
    if found.id in applied_answers(body):
        start_spec_run(services, place.repo, place.installation_id, spec_issue)  # same run
        return f"Those answers ({found.html_url}) are already in the issue."
    questions = _questions(services, github, body)
    answers = read_answers(found.body, questions) if questions else Answers(by_number={})
    if not answers:
        return "The latest answers match no open question of the spec as it is now."
    try:
        new_body = amended_body(body, questions, answers, found.id)
    except AmendError as exc:
        return f"Not applied: {exc}."
    github.edit_issue_body(number, new_body)
    log.info("answers applied", issue=number, answer=found.id, by=applier)
    start_spec_run(services, place.repo, place.installation_id, {**spec_issue, "body": new_body})
    spec = split_original(body)[0]
    change = render_diff(spec, split_original(new_body)[0])
    return (
        f"Applied the answers of {found.html_url} to the issue (the spec as it was is kept in a "
        f"collapsed block):\n\n{change}\n\nspecbot checks the spec again: see the tracking "
        "comment."
    )


def _may_answer(event: Event, github: RepoGitHub) -> bool:
    """The issue's author or a writer; silent for anyone else (no command was given)."""
    login = event.sender_login or ""
    if not login or is_self(event, github) or sender_type(event) != "User":
        return False
    return login == _issue_author(event) or github.permission(login) in WRITE_PERMISSIONS


@router.register("issue_comment", action="created")
def on_quote_reply(event: Event, context: StageContext) -> None:
    """A reply that quotes the author's questions and answers them: the preview."""
    comment = event.payload.get("comment")
    issue = event.payload.get("issue")
    place = where(event)
    if place is None or not isinstance(comment, dict) or not isinstance(issue, dict):
        return
    text = str(comment.get("body") or "")
    if isinstance(issue.get("pull_request"), dict) or find_command(text) is not None:
        return  # commands have their own handler
    if not quotes_questions(text):
        return  # the cheap test first: no API call for an ordinary comment
    services = current()
    github = services.github(place.repo, place.installation_id)
    if not _may_answer(event, github):
        return
    body = str(issue.get("body") or "")
    questions = _questions(services, github, body)
    if not questions or not read_answers(text, questions):
        return
    reply = preview(services, github, body, text)
    if reply:
        github.react_to_comment(int(comment["id"]), "eyes")
        github.create_comment(int(issue["number"]), reply)
