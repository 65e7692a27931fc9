"""Pull requests, reviews and review comments, computed from the real git objects."""

from __future__ import annotations

import re
from typing import Any

from bot.localhub import _forks as forks
from bot.localhub import _gitrepo as gitrepo
from bot.localhub._errors import ApiError, missing_field, not_found, validation_failed
from bot.localhub._hub import Hub
from bot.localhub._issues import check_edit, emit_issue_event, get_issue, update_issue
from bot.localhub._model import Issue, PullInfo, Repo, Review, ReviewComment, issue_key
from bot.localhub._payloads import envelope, pull_counters
from bot.localhub._render_issues import pull as render_pull
from bot.localhub._render_issues import review as render_review
from bot.localhub._render_issues import review_comment as render_review_comment

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
REVIEW_EVENTS = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


def get_pull(hub: Hub, repo: Repo, number: int) -> Issue:
    """The pull request ``number`` (404 for an issue or a missing number)."""
    found = get_issue(hub, repo, number)
    if found.pull is None:
        raise not_found()
    return found


def create_pull(hub: Hub, repo: Repo, author: str, fields: dict[str, Any]) -> Issue:
    """Open a pull request; fires ``pull_request.opened``."""
    for name in ("title", "head", "base"):
        if not fields.get(name) and not (name == "title" and fields.get("issue")):
            raise missing_field("PullRequest", name)
    path = hub.repo_path(repo.full_name)
    head, fork = forks.head_of(hub, repo, str(fields["head"]))
    base = str(fields["base"])
    if fork is None:
        head_sha = gitrepo.resolve(path, f"refs/heads/{head}")
    else:
        head_sha = forks.fetch_head(hub, fork, head, repo)
    base_sha = gitrepo.resolve(path, f"refs/heads/{base}")
    if head_sha is None:
        raise validation_failed("PullRequest", "head", message=f"head does not exist: {head}")
    if base_sha is None:
        raise validation_failed("PullRequest", "base", message=f"base does not exist: {base}")
    if not gitrepo.rev_list(path, head_sha, base_sha):
        raise validation_failed(
            "PullRequest", "head", "custom", f"No commits between {base} and {head}"
        )
    with hub.lock:
        for other in hub.state.issues.values():
            if (
                other.repo == repo.full_name
                and other.pull is not None
                and other.state == "open"
                and (other.pull.head_ref, other.pull.base_ref) == (head, base)
                and other.pull.head_repo == (fork.full_name if fork else None)
            ):
                raise validation_failed(
                    "PullRequest",
                    "head",
                    "custom",
                    f"A pull request already exists for {repo.owner}:{head}.",
                )
        now = hub.now()
        number = repo.next_number
        repo.next_number += 1
        body = fields.get("body")
        issue = Issue(
            id=hub.new_id(),
            pull_id=hub.new_id(),
            repo=repo.full_name,
            number=number,
            title=str(fields.get("title") or head),
            body=body if isinstance(body, str) else None,
            user=author,
            created_at=now,
            updated_at=now,
            pull=PullInfo(
                head_ref=head,
                head_sha=head_sha,
                head_repo=fork.full_name if fork else None,
                base_ref=base,
                base_sha=base_sha,
                draft=bool(fields.get("draft", False)),
            ),
        )
        hub.state.issues[issue_key(repo.full_name, number)] = issue
    if fork is not None:
        forks.pin_head(hub, issue)
    emit_issue_event(hub, issue, "opened", author)
    return issue


def update_pull(hub: Hub, issue: Issue, sender: str, fields: dict[str, Any]) -> Issue:
    """Edit title, body, state or base; fires edited, closed or reopened."""
    assert issue.pull is not None
    check_edit(fields)
    if "base" in fields:
        sha = gitrepo.resolve(hub.repo_path(issue.repo), f"refs/heads/{fields['base']}")
        if sha is None:
            raise validation_failed("PullRequest", "base")
        issue.pull.base_ref, issue.pull.base_sha = str(fields["base"]), sha
    return update_issue(hub, issue, sender, {k: v for k, v in fields.items() if k != "base"})


def on_branch_update(
    hub: Hub, repo: Repo, branch: str, before: str, after: str, sender: str
) -> None:
    """After a push: move open pull requests' heads and bases, firing ``synchronize``."""
    synced = forks.sync_fork_push(hub, repo, branch, after) if repo.fork_of else []
    with hub.lock:
        for issue in hub.state.issues.values():
            if issue.repo != repo.full_name or issue.pull is None or issue.state != "open":
                continue
            if issue.pull.base_ref == branch and after != gitrepo.ZERO_SHA:
                issue.pull.base_sha = after
            own_head = issue.pull.head_repo is None  # not a fork's branch of the same name
            if own_head and issue.pull.head_ref == branch and after != gitrepo.ZERO_SHA:
                issue.pull.head_sha = after
                issue.updated_at = hub.now()
                synced.append(issue)
    for issue in synced:
        emit_issue_event(hub, issue, "synchronize", sender, before=before, after=after)


def merge_pull(hub: Hub, issue: Issue, sender: str, fields: dict[str, Any]) -> str:
    """Merge with a merge commit on the base branch; fires ``pull_request.closed`` (merged)."""
    assert issue.pull is not None
    pull = issue.pull
    if issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    sha = fields.get("sha")
    if sha and sha != pull.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    path = hub.repo_path(issue.repo)
    who = hub.ensure_user(sender)
    person = gitrepo.Person(who.login, who.email or f"{who.login}@users.noreply.localhub", "")
    message = (
        fields.get("commit_title") or f"Merge pull request #{issue.number} from {pull.head_ref}"
    )
    with hub.repo_lock(issue.repo):
        base_sha = gitrepo.resolve(path, f"refs/heads/{pull.base_ref}") or pull.base_sha
        merged = gitrepo.merge_commit(path, base_sha, pull.head_sha, person, str(message))
        if merged is None:
            raise ApiError(405, "Pull Request is not mergeable")
        gitrepo.update_ref(path, f"refs/heads/{pull.base_ref}", merged, base_sha)
    with hub.lock:
        now = hub.now()
        pull.merged, pull.merged_at, pull.merged_by = True, now, sender
        pull.merge_commit_sha = merged
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", now, sender, now
    from bot.localhub._pushes import announce_push  # local: _pushes imports this module

    announce_push(
        hub, hub.repo(issue.repo), f"refs/heads/{pull.base_ref}", base_sha, merged, sender
    )
    emit_issue_event(hub, issue, "closed", sender)
    return merged


def _patch_lines(patch: str | None) -> list[tuple[str, int | None, int | None]]:
    """Each patch line with its old and new line numbers (positions count from 1)."""
    out: list[tuple[str, int | None, int | None]] = []
    old = new = 0
    for text in (patch or "").split("\n"):
        header = _HUNK.match(text)
        if header:
            old, new = int(header.group(1)), int(header.group(2))
            out.append((text, None, None))
        elif text.startswith("+"):
            out.append((text, None, new))
            new += 1
        elif text.startswith("-"):
            out.append((text, old, None))
            old += 1
        else:
            out.append((text, old, new))
            old += 1
            new += 1
    return out


def _anchor(
    hub: Hub, issue: Issue, commit_id: str, path: str, line: Any, side: str, position: Any
) -> tuple[int, str, int]:
    """Validate an inline comment's place in the diff; return (line, diff_hunk, position)."""
    assert issue.pull is not None
    repo_path = hub.repo_path(issue.repo)
    base = gitrepo.merge_base(repo_path, issue.pull.base_sha, commit_id) or issue.pull.base_sha
    files = {f.filename: f for f in gitrepo.diff_files(repo_path, base, commit_id)}
    change = files.get(path)
    if change is None:
        raise ApiError(
            422,
            "Unprocessable Entity",
            errors=[
                {
                    "resource": "PullRequestReviewComment",
                    "code": "invalid",
                    "field": "path",
                    "message": "Path could not be resolved",
                }
            ],
        )
    lines = _patch_lines(change.patch)
    index: int | None = None
    if isinstance(position, int) and 1 <= position < len(lines):
        index = position
    elif isinstance(line, int):
        for i, (_text, old_no, new_no) in enumerate(lines):
            if (new_no if side == "RIGHT" else old_no) == line and i > 0:
                index = i
                break
    if index is None:
        raise ApiError(
            422,
            "Unprocessable Entity",
            errors=[
                {
                    "resource": "PullRequestReviewComment",
                    "code": "custom",
                    "field": "pull_request_review_thread.line",
                    "message": "could not be resolved",
                }
            ],
        )
    start = max(i for i in range(index + 1) if lines[i][0].startswith("@@"))
    hunk = "\n".join(text for text, _o, _n in lines[start : index + 1])
    _text, old_no, new_no = lines[index]
    number = new_no if side == "RIGHT" else old_no
    return int(number if number is not None else line), hunk, index


def add_review_comment(
    hub: Hub,
    issue: Issue,
    author: str,
    fields: dict[str, Any],
    review_id: int | None = None,
    *,
    emit: bool = True,
) -> ReviewComment:
    """An inline comment on a line of the diff; fires ``pull_request_review_comment.created``."""
    assert issue.pull is not None
    if not fields.get("body"):
        raise missing_field("PullRequestReviewComment", "body")
    reply_to = fields.get("in_reply_to")
    now = hub.now()
    if reply_to is not None:
        parent = hub.state.review_comments.get(int(reply_to))
        if parent is None or parent.number != issue.number or parent.repo != issue.repo:
            raise not_found()
        path, line, hunk, commit_id = parent.path, parent.line, parent.diff_hunk, parent.commit_id
        position = parent.position
        side, start_line, root = parent.side, parent.start_line, parent.in_reply_to_id or parent.id
    else:
        if not fields.get("path"):
            raise missing_field("PullRequestReviewComment", "path")
        commit_id = str(fields.get("commit_id") or issue.pull.head_sha)
        side = str(fields.get("side") or "RIGHT")
        path = str(fields["path"])
        line, hunk, position = _anchor(
            hub, issue, commit_id, path, fields.get("line"), side, fields.get("position")
        )
        start_line = fields.get("start_line") if isinstance(fields.get("start_line"), int) else None
        root = None
    item = ReviewComment(
        id=hub.new_id(),
        repo=issue.repo,
        number=issue.number,
        review_id=review_id if review_id is not None else hub.new_id(),
        user=author,
        body=str(fields["body"]),
        path=path,
        line=line,
        position=position,
        side=side,
        start_line=start_line,
        commit_id=commit_id,
        diff_hunk=hunk,
        in_reply_to_id=root,
        created_at=now,
        updated_at=now,
    )
    with hub.lock:
        hub.state.review_comments[item.id] = item
    if emit:
        _emit_review_comment(hub, issue, item, author)
    return item


def _emit_review_comment(hub: Hub, issue: Issue, item: ReviewComment, sender: str) -> None:
    repo = hub.repo(issue.repo)
    payload = {
        "comment": render_review_comment(hub, item),
        "pull_request": render_pull(hub, issue),
        **envelope(hub, repo, sender, "created"),
    }
    hub.emitter.emit("pull_request_review_comment", payload, repo.full_name)


def submit_review(hub: Hub, issue: Issue, author: str, fields: dict[str, Any]) -> Review:
    """A review with optional inline comments; fires ``pull_request_review.submitted``."""
    assert issue.pull is not None
    event = fields.get("event")
    if event is None:
        raise validation_failed(
            "PullRequestReview", "event", message="PENDING reviews are not supported"
        )
    if event not in REVIEW_EVENTS:
        raise validation_failed("PullRequestReview", "event")
    body = fields.get("body") or ""
    if event in ("REQUEST_CHANGES", "COMMENT") and not body and not fields.get("comments"):
        raise ApiError(
            422,
            "Unprocessable Entity",
            errors=[f"Review Can not {event.lower().replace('_', ' ')} without a body"],
        )
    if event in ("APPROVE", "REQUEST_CHANGES") and author == issue.user:
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise ApiError(
            422,
            "Unprocessable Entity",
            errors=[f"Review Can not {verb} your own pull request"],
        )
    review_id = hub.new_id()
    commit_id = str(fields.get("commit_id") or issue.pull.head_sha)
    comments = fields.get("comments") or []
    if not isinstance(comments, list):
        raise validation_failed("PullRequestReview", "comments")
    # validate every inline comment before recording any of them
    for c in comments:
        if not isinstance(c, dict) or not c.get("body") or not c.get("path"):
            raise validation_failed("PullRequestReviewComment", "comments")
        side = str(c.get("side") or "RIGHT")
        _anchor(hub, issue, commit_id, str(c["path"]), c.get("line"), side, c.get("position"))
    created = [
        add_review_comment(hub, issue, author, {**c, "commit_id": commit_id}, review_id, emit=False)
        for c in comments
        if isinstance(c, dict)
    ]
    review = Review(
        id=review_id,
        repo=issue.repo,
        number=issue.number,
        user=author,
        body=str(body),
        state=REVIEW_EVENTS[event],
        commit_id=commit_id,
        submitted_at=hub.now(),
    )
    with hub.lock:
        hub.state.reviews[review.id] = review
    repo = hub.repo(issue.repo)
    payload = {
        "review": render_review(hub, review),
        "pull_request": render_pull(hub, issue),
        **envelope(hub, repo, author, "submitted"),
    }
    hub.emitter.emit("pull_request_review", payload, repo.full_name)
    for item in created:
        _emit_review_comment(hub, issue, item, author)
    return review


def pull_files(hub: Hub, issue: Issue) -> list[gitrepo.FileDiff]:
    """The files a pull request changes, from the merge base to its head."""
    assert issue.pull is not None
    path = hub.repo_path(issue.repo)
    base = gitrepo.merge_base(path, issue.pull.base_sha, issue.pull.head_sha) or issue.pull.base_sha
    return gitrepo.diff_files(path, base, issue.pull.head_sha)


def full_pull(hub: Hub, issue: Issue) -> dict[str, Any]:
    """A full ``pull-request`` with counters and mergeability from git."""
    return render_pull(hub, issue, pull_counters(hub, issue))
