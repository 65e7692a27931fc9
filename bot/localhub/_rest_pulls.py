"""REST: pull requests, their files and commits, reviews, review comments, merging."""

from __future__ import annotations

from bot.localhub import _gitrepo as gitrepo
from bot.localhub import _pulls as pulls
from bot.localhub._errors import ApiError, not_found, validation_failed
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._model import Issue, thread_records
from bot.localhub._render_git import commit, diff_entry
from bot.localhub._render_issues import pull as render_pull
from bot.localhub._render_issues import review as render_review
from bot.localhub._render_issues import review_comment as render_review_comment

R = "/repos/{owner}/{repo}"
MAX_FILES = 3000


def _sender(call: Call) -> str:
    if call.who.login is None:
        raise ApiError(401, "Requires authentication")
    return call.who.login


def _pull(call: Call, *, level: str = "read", role: str = "read") -> Issue:
    repo = call.repo(scope="pull_requests", level=level, role=role)
    return pulls.get_pull(call.hub, repo, call.number("pull_number"))


def _head_is(item: Issue, owner: str, head: str) -> bool:
    """The ``head`` filter: ``owner:branch`` matches that owner's branch only (forks apart)."""
    assert item.pull is not None
    head_owner = item.pull.head_repo.split("/")[0] if item.pull.head_repo else owner
    wanted_owner, sep, branch = head.partition(":")
    if not sep:
        return item.pull.head_ref == head
    return item.pull.head_ref == branch and head_owner.lower() == wanted_owner.lower()


def list_pulls(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls``."""
    repo = call.repo(scope="pull_requests")
    state = call.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation_failed("PullRequest", "state")
    head = call.query.get("head")
    base = call.query.get("base")
    found = [
        i
        for i in call.hub.state.issues.values()
        if i.repo == repo.full_name
        and i.pull is not None
        and (state == "all" or i.state == state)
        and (head is None or _head_is(i, repo.owner, head))
        and (base is None or i.pull.base_ref == base)
    ]
    found.sort(key=lambda i: i.number, reverse=call.query.get("direction", "desc") == "desc")
    return Reply([render_pull(call.hub, i) for i in found], paginate=True, etag=True)


def create_pull(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/pulls``."""
    repo = call.repo(scope="pull_requests", level="write")
    item = pulls.create_pull(call.hub, repo, _sender(call), call.fields())
    return Reply(pulls.full_pull(call.hub, item), status=201)


def get_pull(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}`` (JSON, or diff/patch media types)."""
    item = _pull(call)
    assert item.pull is not None
    accept = call.headers.get("accept", "")
    if "diff" in accept or "patch" in accept:
        path = call.hub.repo_path(item.repo)
        base = (
            gitrepo.merge_base(path, item.pull.base_sha, item.pull.head_sha) or item.pull.base_sha
        )
        kind = "diff" if "diff" in accept else "patch"
        return Reply(
            text=gitrepo.unified_diff(path, base, item.pull.head_sha),
            media_type=f"application/vnd.github.{kind}; charset=utf-8",
        )
    return Reply(pulls.full_pull(call.hub, item), etag=True)


def update_pull(call: Call) -> Reply:
    """``PATCH /repos/{owner}/{repo}/pulls/{pull_number}``."""
    item = _pull(call, level="write")
    sender = _sender(call)
    if item.user != sender:
        call.repo(scope="pull_requests", level="write", role="write")
    pulls.update_pull(call.hub, item, sender, call.fields())
    return Reply(pulls.full_pull(call.hub, item))


def merge_pull(call: Call) -> Reply:
    """``PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge``."""
    item = _pull(call, level="write", role="write")
    call.repo(scope="contents", level="write", role="write")
    sha = pulls.merge_pull(call.hub, item, _sender(call), call.fields())
    return Reply({"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def list_files(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}/files``."""
    item = _pull(call)
    assert item.pull is not None
    repo = call.hub.repo(item.repo)
    files = pulls.pull_files(call.hub, item)[:MAX_FILES]
    body = [diff_entry(call.hub, repo, item.pull.head_sha, f) for f in files]
    return Reply(body, paginate=True, etag=True)


def list_commits(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}/commits`` (oldest first, at most 250)."""
    item = _pull(call)
    assert item.pull is not None
    repo = call.hub.repo(item.repo)
    path = call.hub.repo_path(item.repo)
    shas = gitrepo.rev_list(path, item.pull.head_sha, item.pull.base_sha)[:250]
    return Reply([commit(call.hub, repo, sha) for sha in shas], paginate=True, etag=True)


def list_reviews(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews``."""
    item = _pull(call)
    found = thread_records(call.hub.state.reviews.values(), item.repo, item.number)
    return Reply([render_review(call.hub, r) for r in found], paginate=True, etag=True)


def create_review(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews``."""
    item = _pull(call, level="write")
    review = pulls.submit_review(call.hub, item, _sender(call), call.fields())
    return Reply(render_review(call.hub, review))


def list_review_comments(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/{pull_number}/comments``."""
    item = _pull(call)
    found = thread_records(call.hub.state.review_comments.values(), item.repo, item.number)
    return Reply([render_review_comment(call.hub, c) for c in found], paginate=True, etag=True)


def get_review_comment(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/pulls/comments/{comment_id}``."""
    repo = call.repo(scope="pull_requests")
    found = call.hub.state.review_comments.get(call.number("comment_id"))
    if found is None or found.repo != repo.full_name:
        raise not_found()
    return Reply(render_review_comment(call.hub, found), etag=True)


def create_review_comment(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/pulls/{pull_number}/comments``."""
    item = _pull(call, level="write")
    created = pulls.add_review_comment(call.hub, item, _sender(call), call.fields())
    return Reply(render_review_comment(call.hub, created), status=201)


def reply_to_review_comment(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies``."""
    item = _pull(call, level="write")
    parent = call.hub.state.review_comments.get(call.number("comment_id"))
    if parent is None or parent.repo != item.repo or parent.number != item.number:
        raise not_found()
    fields = {**call.fields(), "in_reply_to": parent.id}
    created = pulls.add_review_comment(call.hub, item, _sender(call), fields)
    return Reply(render_review_comment(call.hub, created), status=201)


ENDPOINTS = [
    Endpoint("GET", R + "/pulls", list_pulls),
    Endpoint("POST", R + "/pulls", create_pull),
    Endpoint("GET", R + "/pulls/{pull_number}", get_pull),
    Endpoint("PATCH", R + "/pulls/{pull_number}", update_pull),
    Endpoint("PUT", R + "/pulls/{pull_number}/merge", merge_pull),
    Endpoint("GET", R + "/pulls/{pull_number}/files", list_files),
    Endpoint("GET", R + "/pulls/{pull_number}/commits", list_commits),
    Endpoint("GET", R + "/pulls/{pull_number}/reviews", list_reviews),
    Endpoint("POST", R + "/pulls/{pull_number}/reviews", create_review),
    Endpoint("GET", R + "/pulls/{pull_number}/comments", list_review_comments),
    Endpoint("GET", R + "/pulls/comments/{comment_id}", get_review_comment),
    Endpoint("POST", R + "/pulls/{pull_number}/comments", create_review_comment),
    Endpoint(
        "POST", R + "/pulls/{pull_number}/comments/{comment_id}/replies", reply_to_review_comment
    ),
]
