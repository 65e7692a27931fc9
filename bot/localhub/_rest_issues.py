"""REST: issues, labels, issue comments and reactions."""

from __future__ import annotations

from typing import Any

from bot.localhub import _issues as issues
from bot.localhub._errors import ApiError, not_found, validation_failed
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._model import Issue, IssueComment, thread_records
from bot.localhub._render import label as render_label
from bot.localhub._render_issues import issue as render_issue
from bot.localhub._render_issues import issue_comment as render_comment
from bot.localhub._render_issues import reaction as render_reaction

R = "/repos/{owner}/{repo}"


def _sender(call: Call) -> str:
    if call.who.login is None:
        raise ApiError(401, "Requires authentication")
    return call.who.login


def _scope(call: Call, item: Issue) -> str:
    """``issues``; a pull request's conversation takes ``pull_requests`` or ``issues``."""
    if item.pull is None:
        return "issues"
    return max(("pull_requests", "issues"), key=call.who.level)


def _issue(call: Call, *, level: str = "read", role: str = "read") -> Issue:
    """The issue in the path, once the caller may act on it at ``level``/``role``."""
    repo = call.repo()
    item = issues.get_issue(call.hub, repo, call.number("issue_number"))
    call.repo(scope=_scope(call, item), level=level, role=role)
    return item


def list_issues(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/issues`` (pull requests included, as on GitHub)."""
    repo = call.repo(scope="issues")
    state = call.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation_failed("Issue", "state")
    wanted = {n.strip().lower() for n in call.query.get("labels", "").split(",") if n.strip()}
    found = [
        i
        for i in call.hub.state.issues.values()
        if i.repo == repo.full_name
        and (state == "all" or i.state == state)
        and wanted <= {n.lower() for n in i.labels}
        and (not call.query.get("creator") or i.user == call.query.get("creator"))
    ]
    reverse = call.query.get("direction", "desc") == "desc"
    found.sort(key=lambda i: i.number, reverse=reverse)
    return Reply([render_issue(call.hub, i) for i in found], paginate=True, etag=True)


def create_issue(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/issues``."""
    repo = call.repo(scope="issues", level="write")
    item = issues.create_issue(call.hub, repo, _sender(call), call.fields())
    return Reply(render_issue(call.hub, item), status=201)


def get_issue(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}``."""
    return Reply(render_issue(call.hub, _issue(call)), etag=True)


def update_issue(call: Call) -> Reply:
    """``PATCH /repos/{owner}/{repo}/issues/{issue_number}``."""
    fields = call.fields()
    item = _issue(call, level="write")
    sender = _sender(call)
    if item.user != sender or set(fields) - {"title", "body", "state", "state_reason"}:
        call.repo(scope="issues", level="write", role="triage")
    return Reply(render_issue(call.hub, issues.update_issue(call.hub, item, sender, fields)))


def _label_names(call: Call) -> list[str]:
    body = call.body
    if isinstance(body, dict):
        body = body.get("labels")
    if isinstance(body, str):
        body = [body]
    if not isinstance(body, list) or not body:
        raise validation_failed("Label", "labels", "missing_field")
    names = []
    for item in body:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise validation_failed("Label", "name")
        names.append(name)
    return names


def _labels_of(call: Call, item: Issue) -> list[dict[str, Any]]:
    repo = call.hub.repo(item.repo)
    return [render_label(call.hub, repo, repo.labels[n.lower()]) for n in item.labels]


def list_issue_labels(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}/labels``."""
    return Reply(_labels_of(call, _issue(call)), paginate=True, etag=True)


def add_labels(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/issues/{issue_number}/labels``."""
    item = _issue(call, level="write", role="triage")
    issues.add_labels(call.hub, item, _sender(call), _label_names(call))
    return Reply(_labels_of(call, item))


def set_labels(call: Call) -> Reply:
    """``PUT /repos/{owner}/{repo}/issues/{issue_number}/labels``."""
    item = _issue(call, level="write", role="triage")
    issues.set_labels(call.hub, item, _sender(call), _label_names(call))
    return Reply(_labels_of(call, item))


def remove_label(call: Call) -> Reply:
    """``DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}``."""
    item = _issue(call, level="write", role="triage")
    issues.remove_label(call.hub, item, _sender(call), call.params["name"])
    return Reply(_labels_of(call, item))


def remove_all_labels(call: Call) -> Reply:
    """``DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels``."""
    item = _issue(call, level="write", role="triage")
    for name in list(item.labels):
        issues.remove_label(call.hub, item, _sender(call), name)
    return Reply(status=204)


def list_repo_labels(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/labels``."""
    repo = call.repo(scope="issues")
    return Reply(
        [render_label(call.hub, repo, item) for item in repo.labels.values()],
        paginate=True,
        etag=True,
    )


def get_label(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/labels/{name}``."""
    repo = call.repo(scope="issues")
    item = repo.labels.get(call.params["name"].lower())
    if item is None:
        raise not_found()
    return Reply(render_label(call.hub, repo, item), etag=True)


def create_label(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/labels``."""
    repo = call.repo(scope="issues", level="write", role="write")
    fields = call.fields()
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise validation_failed("Label", "name", "missing_field")
    if name.lower() in repo.labels:
        raise validation_failed("Label", "name", "already_exists")
    item = issues.ensure_label(call.hub, repo, name)
    item.color = str(fields.get("color") or item.color).lstrip("#")
    item.description = fields.get("description")
    return Reply(render_label(call.hub, repo, item), status=201)


def list_comments(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/issues/{issue_number}/comments``."""
    item = _issue(call)
    found = thread_records(call.hub.state.issue_comments.values(), item.repo, item.number)
    return Reply([render_comment(call.hub, c) for c in found], paginate=True, etag=True)


def create_comment(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/issues/{issue_number}/comments``."""
    item = _issue(call, level="write")
    if item.locked:
        raise ApiError(403, "Unable to create comment because issue is locked.")
    created = issues.comment(call.hub, item, _sender(call), call.fields().get("body"))
    return Reply(render_comment(call.hub, created), status=201)


def _comment(call: Call) -> tuple[IssueComment, Issue]:
    """The comment in the path and its issue (its scope still to be checked)."""
    repo = call.repo()
    found = call.hub.state.issue_comments.get(call.number("comment_id"))
    if found is None or found.repo != repo.full_name:
        raise not_found()
    return found, issues.get_issue(call.hub, repo, found.number)


def get_comment(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/issues/comments/{comment_id}``."""
    item, issue = _comment(call)
    call.repo(scope=_scope(call, issue))
    return Reply(render_comment(call.hub, item), etag=True)


def update_comment(call: Call) -> Reply:
    """``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` (author, or write access)."""
    item, issue = _comment(call)
    sender = _sender(call)
    role = "read" if item.user == sender else "write"
    call.repo(scope=_scope(call, issue), level="write", role=role)
    updated = issues.edit_comment(call.hub, item, sender, call.fields().get("body"))
    return Reply(render_comment(call.hub, updated))


def create_reaction(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/issues/{issue_number}/reactions``."""
    item = _issue(call, level="write")
    created, new = issues.react(call.hub, item, _sender(call), call.fields().get("content"))
    return Reply(render_reaction(call.hub, created), status=201 if new else 200)


def create_comment_reaction(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions``."""
    comment, issue = _comment(call)
    call.repo(scope=_scope(call, issue), level="write")
    created, new = issues.react(
        call.hub, issue, _sender(call), call.fields().get("content"), comment_id=comment.id
    )
    return Reply(render_reaction(call.hub, created), status=201 if new else 200)


ENDPOINTS = [
    Endpoint("GET", R + "/issues", list_issues),
    Endpoint("POST", R + "/issues", create_issue),
    Endpoint("GET", R + "/issues/comments/{comment_id}", get_comment),
    Endpoint("PATCH", R + "/issues/comments/{comment_id}", update_comment),
    Endpoint("POST", R + "/issues/comments/{comment_id}/reactions", create_comment_reaction),
    Endpoint("GET", R + "/issues/{issue_number}", get_issue),
    Endpoint("PATCH", R + "/issues/{issue_number}", update_issue),
    Endpoint("GET", R + "/issues/{issue_number}/labels", list_issue_labels),
    Endpoint("POST", R + "/issues/{issue_number}/labels", add_labels),
    Endpoint("PUT", R + "/issues/{issue_number}/labels", set_labels),
    Endpoint("DELETE", R + "/issues/{issue_number}/labels", remove_all_labels),
    Endpoint("DELETE", R + "/issues/{issue_number}/labels/{name}", remove_label),
    Endpoint("GET", R + "/issues/{issue_number}/comments", list_comments),
    Endpoint("POST", R + "/issues/{issue_number}/comments", create_comment),
    Endpoint("POST", R + "/issues/{issue_number}/reactions", create_reaction),
    Endpoint("GET", R + "/labels", list_repo_labels),
    Endpoint("POST", R + "/labels", create_label),
    Endpoint("GET", R + "/labels/{name}", get_label),
]
