"""Issues, labels, comments and reactions: the state changes and the webhooks they fire."""

from __future__ import annotations

from typing import Any

from bot.localhub._errors import ApiError, missing_field, not_found, validation_failed
from bot.localhub._hub import Hub
from bot.localhub._model import Issue, IssueComment, Label, Reaction, Repo, issue_key
from bot.localhub._payloads import envelope, pull_counters
from bot.localhub._render import label as render_label
from bot.localhub._render_issues import issue as render_issue
from bot.localhub._render_issues import issue_comment as render_comment
from bot.localhub._render_issues import pull as render_pull

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def get_issue(hub: Hub, repo: Repo, number: int) -> Issue:
    """The issue or pull request ``number`` (404 when missing)."""
    found = hub.state.issues.get(issue_key(repo.full_name, number))
    if found is None:
        raise not_found()
    return found


def emit_issue_event(hub: Hub, issue: Issue, action: str, sender: str, **extra: Any) -> None:
    """``issues`` for an issue, ``pull_request`` for a pull request (as GitHub splits them)."""
    repo = hub.repo(issue.repo)
    if issue.pull is None:
        payload = {
            "issue": render_issue(hub, issue),
            **envelope(hub, repo, sender, action),
            **extra,
        }
        hub.emitter.emit("issues", payload, repo.full_name)
        return
    body = render_pull(hub, issue, pull_counters(hub, issue))
    payload = {
        "number": issue.number,
        "pull_request": body,
        **envelope(hub, repo, sender, action),
        **extra,
    }
    hub.emitter.emit("pull_request", payload, repo.full_name)


def ensure_label(hub: Hub, repo: Repo, name: str) -> Label:
    """The repository label ``name``, created (grey) when it does not exist, as GitHub does."""
    with hub.lock:
        found = repo.labels.get(name.lower())
        if found is None:
            found = Label(id=hub.new_id(), name=name)
            repo.labels[name.lower()] = found
        return found


def create_issue(hub: Hub, repo: Repo, author: str, fields: dict[str, Any]) -> Issue:
    """Open an issue; fires ``issues.opened``."""
    title = fields.get("title")
    if title is None or title == "":
        raise missing_field("Issue", "title")
    check_edit(fields)
    body = fields.get("body")
    now = hub.now()
    with hub.lock:
        number = repo.next_number
        repo.next_number += 1
        issue = Issue(
            id=hub.new_id(),
            repo=repo.full_name,
            number=number,
            title=str(title),
            body=body if isinstance(body, str) else None,
            user=author,
            assignees=[str(a) for a in fields.get("assignees") or []],
            created_at=now,
            updated_at=now,
        )
        labels = [
            ensure_label(hub, repo, name) for name in dict.fromkeys(_names(fields.get("labels")))
        ]
        issue.labels = [item.name for item in labels]
        hub.state.issues[issue_key(repo.full_name, number)] = issue
    emit_issue_event(hub, issue, "opened", author)
    # as on GitHub, labels given at creation also arrive as ``labeled`` events after ``opened``
    for item in labels:
        emit_issue_event(hub, issue, "labeled", author, label=render_label(hub, repo, item))
    return issue


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise validation_failed("Label", "labels")
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise validation_failed("Label", "name")
        names.append(name)
    return names


def update_issue(hub: Hub, issue: Issue, sender: str, fields: dict[str, Any]) -> Issue:
    """Edit title/body/state/labels; fires edited, closed, reopened, labeled, unlabeled."""
    changes: dict[str, Any] = {}
    events: list[str] = []
    check_edit(fields)
    with hub.lock:
        for key in ("title", "body"):
            new = str(fields[key]) if key == "title" and key in fields else fields.get(key)
            if key in fields and new != getattr(issue, key):
                changes[key] = {"from": getattr(issue, key)}
                setattr(issue, key, new)
        if changes:
            events.append("edited")
        state = fields.get("state")
        if state is not None and state != issue.state:
            _set_state(hub, issue, state, sender, fields.get("state_reason"))
            events.append("closed" if state == "closed" else "reopened")
        if "assignees" in fields:
            issue.assignees = [str(a) for a in fields.get("assignees") or []]
        issue.updated_at = hub.now()
    for action in events:
        extra = {"changes": changes} if action == "edited" else {}
        emit_issue_event(hub, issue, action, sender, **extra)
    if "labels" in fields:
        set_labels(hub, issue, sender, _names(fields["labels"]))
    return issue


def check_edit(fields: dict[str, Any]) -> None:
    """Validate an edit completely before anything changes (422 on the first bad field)."""
    if "title" in fields and (
        not isinstance(fields["title"], str | int)
        or isinstance(fields["title"], bool)
        or fields["title"] == ""
    ):
        raise validation_failed("Issue", "title")
    if "body" in fields and not isinstance(fields["body"], str | None):
        raise validation_failed("Issue", "body")
    if fields.get("state") not in (None, "open", "closed"):
        raise validation_failed("Issue", "state")
    if "labels" in fields:
        _names(fields["labels"])
    assignees = fields.get("assignees")
    if assignees is not None and (
        not isinstance(assignees, list) or not all(isinstance(a, str) for a in assignees)
    ):
        raise validation_failed("Issue", "assignees")


def _set_state(hub: Hub, issue: Issue, state: str, sender: str, reason: Any) -> None:
    issue.state = state
    if state == "closed":
        issue.closed_at = hub.now()
        issue.closed_by = sender
        issue.state_reason = reason if reason in ("completed", "not_planned") else "completed"
    else:
        issue.closed_at = None
        issue.closed_by = None
        issue.state_reason = "reopened"


def add_labels(hub: Hub, issue: Issue, sender: str, names: list[str]) -> None:
    """Add labels (creating unknown ones); fires ``labeled`` once per new label."""
    repo = hub.repo(issue.repo)
    added: list[Label] = []
    with hub.lock:
        for name in names:
            item = ensure_label(hub, repo, name)
            if item.name.lower() not in (n.lower() for n in issue.labels):
                issue.labels.append(item.name)
                added.append(item)
        issue.updated_at = hub.now()
    for item in added:
        emit_issue_event(hub, issue, "labeled", sender, label=render_label(hub, repo, item))


def remove_label(hub: Hub, issue: Issue, sender: str, name: str) -> None:
    """Remove one label (404 "Label does not exist" when absent); fires ``unlabeled``."""
    repo = hub.repo(issue.repo)
    with hub.lock:
        match = [n for n in issue.labels if n.lower() == name.lower()]
        if not match:
            raise ApiError(404, "Label does not exist")
        issue.labels.remove(match[0])
        issue.updated_at = hub.now()
        item = repo.labels[match[0].lower()]
    emit_issue_event(hub, issue, "unlabeled", sender, label=render_label(hub, repo, item))


def set_labels(hub: Hub, issue: Issue, sender: str, names: list[str]) -> None:
    """Replace the labels: ``unlabeled`` for each removed, ``labeled`` for each added."""
    wanted = {n.lower() for n in names}
    for name in list(issue.labels):
        if name.lower() not in wanted:
            remove_label(hub, issue, sender, name)
    add_labels(hub, issue, sender, names)


def comment(hub: Hub, issue: Issue, author: str, body: Any) -> IssueComment:
    """Comment on an issue or pull request; fires ``issue_comment.created``."""
    if not isinstance(body, str) or not body:
        raise missing_field("IssueComment", "body")
    now = hub.now()
    item = IssueComment(
        id=hub.new_id(),
        repo=issue.repo,
        number=issue.number,
        user=author,
        body=body,
        created_at=now,
        updated_at=now,
    )
    with hub.lock:
        hub.state.issue_comments[item.id] = item
        issue.updated_at = now
    _emit_comment(hub, issue, item, "created", author)
    return item


def edit_comment(hub: Hub, item: IssueComment, sender: str, body: Any) -> IssueComment:
    """Edit a comment; fires ``issue_comment.edited`` with the old body in ``changes``."""
    if not isinstance(body, str) or not body:
        raise missing_field("IssueComment", "body")
    old = item.body
    with hub.lock:
        item.body = body
        item.updated_at = hub.now()
    issue = get_issue(hub, hub.repo(item.repo), item.number)
    _emit_comment(hub, issue, item, "edited", sender, changes={"body": {"from": old}})
    return item


def _emit_comment(
    hub: Hub, issue: Issue, item: IssueComment, action: str, sender: str, **extra: Any
) -> None:
    repo = hub.repo(issue.repo)
    payload = {
        "issue": render_issue(hub, issue),
        "comment": render_comment(hub, item),
        **envelope(hub, repo, sender, action),
        **extra,
    }
    hub.emitter.emit("issue_comment", payload, repo.full_name)


def react(
    hub: Hub, issue: Issue, author: str, content: Any, comment_id: int | None = None
) -> tuple[Reaction, bool]:
    """Add a reaction to an issue or one of its comments (or find the same one).

    True when it is new (201 rather than 200), as GitHub answers.
    """
    if content not in REACTIONS:
        raise validation_failed("Reaction", "content")
    with hub.lock:
        for existing in hub.state.reactions.values():
            key = (existing.repo, existing.number, existing.comment_id, existing.user)
            if key == (issue.repo, issue.number, comment_id, author) and (
                existing.content == content
            ):
                return existing, False
        item = Reaction(
            id=hub.new_id(),
            repo=issue.repo,
            number=issue.number,
            user=author,
            content=str(content),
            created_at=hub.now(),
            comment_id=comment_id,
        )
        hub.state.reactions[item.id] = item
    return item, True
