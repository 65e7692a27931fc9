"""Issues, pull requests, comments and reviews rendered as GitHub's REST API returns them."""

from __future__ import annotations

from typing import Any

from bot.localhub._hub import Hub
from bot.localhub._model import (
    Issue,
    IssueComment,
    Reaction,
    Review,
    ReviewComment,
    role_rank,
    thread_records,
)
from bot.localhub._render import label, node_id, repository, user


def author_association(hub: Hub, repo_name: str, login: str) -> str:
    """OWNER, COLLABORATOR or NONE, as GitHub marks authors."""
    repo = hub.repo(repo_name)
    if login.lower() == repo.owner.lower():
        return "OWNER"
    if role_rank(repo.collaborators.get(login)) > 0:
        return "COLLABORATOR"
    return "NONE"


def reactions_rollup(hub: Hub, url: str, repo: str, number: int) -> dict[str, Any]:
    """The ``reactions`` summary of an issue."""
    counts = dict.fromkeys(
        ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"], 0
    )
    for item in hub.state.reactions.values():
        if item.repo == repo and item.number == number and item.comment_id is None:
            counts[item.content] += 1
    return {"url": f"{url}/reactions", "total_count": sum(counts.values()), **counts}


def issue(hub: Hub, item: Issue) -> dict[str, Any]:
    """An ``issue`` (pull requests carry a ``pull_request`` key, as on GitHub)."""
    repo = hub.repo(item.repo)
    url = f"{hub.api_url}/repos/{item.repo}/issues/{item.number}"
    comments = len(thread_records(hub.state.issue_comments.values(), item.repo, item.number))
    out: dict[str, Any] = {
        "id": item.id,
        "node_id": node_id("Issue", item.id),
        "url": url,
        "repository_url": f"{hub.api_url}/repos/{item.repo}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": hub.html_url(f"{item.repo}/issues/{item.number}"),
        "number": item.number,
        "state": item.state,
        "state_reason": item.state_reason,
        "title": item.title,
        "body": item.body,
        "user": user(hub, item.user),
        "labels": [label(hub, repo, repo.labels[name.lower()]) for name in item.labels],
        "assignee": user(hub, item.assignees[0]) if item.assignees else None,
        "assignees": [user(hub, login) for login in item.assignees],
        "milestone": None,
        "locked": item.locked,
        "active_lock_reason": None,
        "comments": comments,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "closed_by": user(hub, item.closed_by),
        "author_association": author_association(hub, item.repo, item.user),
        "reactions": reactions_rollup(hub, url, item.repo, item.number),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
    }
    if item.pull is not None:
        out["pull_request"] = {
            "url": f"{hub.api_url}/repos/{item.repo}/pulls/{item.number}",
            "html_url": hub.html_url(f"{item.repo}/pull/{item.number}"),
            "diff_url": hub.html_url(f"{item.repo}/pull/{item.number}.diff"),
            "patch_url": hub.html_url(f"{item.repo}/pull/{item.number}.patch"),
            "merged_at": item.pull.merged_at,
        }
        out["draft"] = item.pull.draft
    return out


def _branch_end(hub: Hub, repo_name: str, ref: str, sha: str) -> dict[str, Any]:
    repo = hub.repo(repo_name)
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(hub, repo.owner),
        "repo": repository(hub, repo, full=False),
    }


def pull(hub: Hub, item: Issue, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``pull-request-simple``; ``extra`` adds the full ``pull-request`` counters."""
    assert item.pull is not None
    base_url = f"{hub.api_url}/repos/{item.repo}"
    url = f"{base_url}/pulls/{item.number}"
    html = hub.html_url(f"{item.repo}/pull/{item.number}")
    issue_url = f"{base_url}/issues/{item.number}"
    repo = hub.repo(item.repo)
    links = {
        "self": url,
        "html": html,
        "issue": issue_url,
        "comments": f"{issue_url}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{base_url}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{base_url}/statuses/{item.pull.head_sha}",
    }
    out: dict[str, Any] = {
        "url": url,
        "id": item.pull_id or item.id,
        "node_id": node_id("PullRequest", item.pull_id or item.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_url,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{base_url}/pulls/comments{{/number}}",
        "comments_url": f"{issue_url}/comments",
        "statuses_url": f"{base_url}/statuses/{item.pull.head_sha}",
        "number": item.number,
        "state": item.state,
        "locked": item.locked,
        "title": item.title,
        "user": user(hub, item.user),
        "body": item.body,
        "labels": [label(hub, repo, repo.labels[name.lower()]) for name in item.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "merged_at": item.pull.merged_at,
        "merge_commit_sha": item.pull.merge_commit_sha,
        "assignee": user(hub, item.assignees[0]) if item.assignees else None,
        "assignees": [user(hub, login) for login in item.assignees],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch_end(
            hub, item.pull.head_repo or item.repo, item.pull.head_ref, item.pull.head_sha
        ),
        "base": _branch_end(hub, item.repo, item.pull.base_ref, item.pull.base_sha),
        "_links": {key: {"href": value} for key, value in links.items()},
        "author_association": author_association(hub, item.repo, item.user),
        "auto_merge": None,
        "draft": item.pull.draft,
    }
    if extra is not None:
        out.update(extra)
    return out


def issue_comment(hub: Hub, item: IssueComment) -> dict[str, Any]:
    """An ``issue-comment``."""
    url = f"{hub.api_url}/repos/{item.repo}/issues/comments/{item.id}"
    return {
        "id": item.id,
        "node_id": node_id("IssueComment", item.id),
        "url": url,
        "html_url": hub.html_url(f"{item.repo}/issues/{item.number}#issuecomment-{item.id}"),
        "body": item.body,
        "user": user(hub, item.user),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "issue_url": f"{hub.api_url}/repos/{item.repo}/issues/{item.number}",
        "author_association": author_association(hub, item.repo, item.user),
        "performed_via_github_app": None,
        "reactions": {
            "url": f"{url}/reactions",
            "total_count": 0,
            **dict.fromkeys(
                ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"], 0
            ),
        },
    }


def reaction(hub: Hub, item: Reaction) -> dict[str, Any]:
    """A ``reaction``."""
    return {
        "id": item.id,
        "node_id": node_id("Reaction", item.id),
        "user": user(hub, item.user),
        "content": item.content,
        "created_at": item.created_at,
    }


def review(hub: Hub, item: Review) -> dict[str, Any]:
    """A ``pull-request-review``."""
    pull_url = f"{hub.api_url}/repos/{item.repo}/pulls/{item.number}"
    html = hub.html_url(f"{item.repo}/pull/{item.number}#pullrequestreview-{item.id}")
    return {
        "id": item.id,
        "node_id": node_id("PullRequestReview", item.id),
        "user": user(hub, item.user),
        "body": item.body,
        "state": item.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "submitted_at": item.submitted_at,
        "commit_id": item.commit_id,
        "author_association": author_association(hub, item.repo, item.user),
    }


def review_comment(hub: Hub, item: ReviewComment) -> dict[str, Any]:
    """A ``pull-request-review-comment``."""
    base = f"{hub.api_url}/repos/{item.repo}/pulls"
    url = f"{base}/comments/{item.id}"
    html = hub.html_url(f"{item.repo}/pull/{item.number}#discussion_r{item.id}")
    pull_url = f"{base}/{item.number}"
    out: dict[str, Any] = {
        "url": url,
        "pull_request_review_id": item.review_id,
        "id": item.id,
        "node_id": node_id("PullRequestReviewComment", item.id),
        "diff_hunk": item.diff_hunk,
        "path": item.path,
        "position": item.position,
        "original_position": item.position,
        "commit_id": item.commit_id,
        "original_commit_id": item.commit_id,
        "user": user(hub, item.user),
        "body": item.body,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": author_association(hub, item.repo, item.user),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "pull_request": {"href": pull_url},
        },
        "start_line": item.start_line,
        "original_start_line": item.start_line,
        "start_side": item.side if item.start_line else None,
        "line": item.line,
        "original_line": item.line,
        "side": item.side,
        "subject_type": "line",
        "reactions": {
            "url": f"{url}/reactions",
            "total_count": 0,
            **dict.fromkeys(
                ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"], 0
            ),
        },
    }
    if item.in_reply_to_id is not None:
        out["in_reply_to_id"] = item.in_reply_to_id
    return out
