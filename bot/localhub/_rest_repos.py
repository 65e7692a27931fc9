"""REST: repositories, branches, contents, refs, commits, comparisons, collaborators."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._auth import user_role
from bot.localhub._errors import ApiError, conflict, not_found, validation_failed
from bot.localhub._http import Call, Endpoint, Reply
from bot.localhub._model import Repo, role_rank
from bot.localhub._pushes import announce_push
from bot.localhub._render import repository, simple_user
from bot.localhub._render_git import (
    branch,
    commit,
    content_entry,
    content_file,
    diff_entry,
    git_ref,
    short_branch,
)

R = "/repos/{owner}/{repo}"


def _permissions(call: Call, repo: Repo) -> dict[str, bool] | None:
    if call.who.kind != "user" or call.who.login is None:
        return None
    rank = role_rank(user_role(call.hub, call.who.login, repo)) or (0 if repo.private else 1)
    names = ["pull", "triage", "push", "maintain", "admin"]
    return {name: rank >= i + 1 for i, name in enumerate(names)}


def get_repo(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}``."""
    repo = call.repo()
    return Reply(repository(call.hub, repo, permissions=_permissions(call, repo)), etag=True)


def _require_commits(call: Call, repo: Repo) -> None:
    """409 "Git Repository is empty." for a repository without any ref, as GitHub answers."""
    if not gitrepo.list_refs(call.hub.repo_path(repo.full_name)):
        raise conflict("Git Repository is empty.")


def get_branch(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/branches/{branch}``."""
    repo = call.repo(scope="contents")
    name = call.params["branch"]
    sha = gitrepo.resolve(call.hub.repo_path(repo.full_name), f"refs/heads/{name}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    return Reply(branch(call.hub, repo, name, sha), etag=True)


def list_branches(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/branches``."""
    repo = call.repo(scope="contents")
    refs = gitrepo.list_refs(call.hub.repo_path(repo.full_name), "refs/heads/")
    items = [
        short_branch(call.hub, repo, r.removeprefix("refs/heads/"), s) for r, s in refs.items()
    ]
    return Reply(items, paginate=True, etag=True)


def get_content(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/contents/{path}`` (files, directories, raw media type)."""
    repo = call.repo(scope="contents")
    path = call.params.get("path", "").strip("/")
    ref = call.query.get("ref") or repo.default_branch
    repo_path = call.hub.repo_path(repo.full_name)
    sha = gitrepo.resolve_branch_or_sha(repo_path, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    entry = gitrepo.tree_entry(repo_path, sha, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        items = [
            content_entry(call.hub, repo, e, ref) for e in gitrepo.list_tree(repo_path, sha, path)
        ]
        return Reply(items, etag=True)
    data = gitrepo.read_blob(repo_path, entry.sha)
    if "raw" in call.headers.get("accept", ""):
        return Reply(text=data.decode(errors="replace"), media_type="application/vnd.github.raw")
    return Reply(content_file(call.hub, repo, entry, ref, data), etag=True)


def get_ref(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/git/ref/{ref}``."""
    repo = call.repo(scope="contents")
    ref = "refs/" + call.params["ref"].strip("/")
    _require_commits(call, repo)
    refs = gitrepo.list_refs(call.hub.repo_path(repo.full_name))
    if ref not in refs:
        raise not_found()
    return Reply(git_ref(call.hub, repo, ref, refs[ref]), etag=True)


def create_ref(call: Call) -> Reply:
    """``POST /repos/{owner}/{repo}/git/refs``."""
    repo = call.repo(scope="contents", level="write", role="write")
    _require_commits(call, repo)
    fields = call.fields()
    ref, sha = fields.get("ref"), fields.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str):
        raise validation_failed("Reference", "sha", "missing_field")
    path = call.hub.repo_path(repo.full_name)
    with call.hub.repo_lock(repo.full_name):
        if gitrepo.resolve(path, ref) is not None:
            raise ApiError(422, "Reference already exists")
        target = gitrepo.resolve(path, sha)
        if target is None or len(sha) != 40:
            raise ApiError(422, "Object does not exist")
        gitrepo.update_ref(path, ref, target, gitrepo.ZERO_SHA)
    announce_push(call.hub, repo, ref, gitrepo.ZERO_SHA, target, call.who.login or "")
    return Reply(git_ref(call.hub, repo, ref, target), status=201)


def update_ref(call: Call) -> Reply:
    """``PATCH /repos/{owner}/{repo}/git/refs/{ref}`` (fast-forward unless ``force``)."""
    repo = call.repo(scope="contents", level="write", role="write")
    _require_commits(call, repo)
    fields = call.fields()
    ref = "refs/" + call.params["ref"].strip("/")
    sha = fields.get("sha")
    if not isinstance(sha, str):
        raise validation_failed("Reference", "sha", "missing_field")
    path = call.hub.repo_path(repo.full_name)
    with call.hub.repo_lock(repo.full_name):
        old = gitrepo.resolve(path, ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        new = gitrepo.resolve(path, sha)
        if new is None:
            raise ApiError(422, "Object does not exist")
        if not fields.get("force") and not gitrepo.is_ancestor(path, old, new):
            raise ApiError(422, "Update is not a fast forward")
        gitrepo.update_ref(path, ref, new, old)
    announce_push(call.hub, repo, ref, old, new, call.who.login or "")
    return Reply(git_ref(call.hub, repo, ref, new))


def delete_ref(call: Call) -> Reply:
    """``DELETE /repos/{owner}/{repo}/git/refs/{ref}`` (fires a ``push`` with ``deleted``)."""
    repo = call.repo(scope="contents", level="write", role="write")
    _require_commits(call, repo)
    ref = "refs/" + call.params["ref"].strip("/")
    path = call.hub.repo_path(repo.full_name)
    with call.hub.repo_lock(repo.full_name):
        old = gitrepo.resolve(path, ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        gitrepo.delete_ref(path, ref)
    announce_push(call.hub, repo, ref, old, gitrepo.ZERO_SHA, call.who.login or "")
    return Reply(status=204)


def list_commits(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/commits`` (``sha`` and ``path`` filters, newest first)."""
    repo = call.repo(scope="contents")
    path = call.hub.repo_path(repo.full_name)
    start = call.query.get("sha") or repo.default_branch
    _require_commits(call, repo)
    sha = gitrepo.resolve_branch_or_sha(path, start)
    if sha is None:
        raise not_found()
    shas = gitrepo.log(path, sha, call.query.get("path"))
    return Reply(
        shas, paginate=True, etag=True, render_item=lambda item: commit(call.hub, repo, item)
    )


def get_commit(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/commits/{ref}`` with stats and files."""
    repo = call.repo(scope="contents")
    path = call.hub.repo_path(repo.full_name)
    _require_commits(call, repo)
    sha = gitrepo.resolve_branch_or_sha(path, call.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}")
    info = gitrepo.commit_info(path, sha)
    parent = info.parents[0] if info.parents else gitrepo.EMPTY_TREE
    files = gitrepo.diff_files(path, parent, sha)
    return Reply(commit(call.hub, repo, sha, files), etag=True)


def compare(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/compare/{base}...{head}``."""
    repo = call.repo(scope="contents")
    path = call.hub.repo_path(repo.full_name)
    base_name, sep, head_name = call.params["basehead"].partition("...")
    if not sep:
        raise not_found()
    base = gitrepo.resolve_branch_or_sha(path, base_name)
    head = gitrepo.resolve_branch_or_sha(path, head_name)
    if base is None or head is None:
        raise not_found()
    merge_base = gitrepo.merge_base(path, base, head) or base
    ahead = gitrepo.rev_list(path, head, base)
    behind = gitrepo.rev_list(path, base, head)
    status = (
        "identical"
        if base == head
        else ("ahead" if not behind else "behind" if not ahead else "diverged")
    )
    url = f"{call.hub.api_url}/repos/{repo.full_name}/compare/{base_name}...{head_name}"
    html = call.hub.html_url(f"{repo.full_name}/compare/{base_name}...{head_name}")
    body: dict[str, Any] = {
        "url": url,
        "html_url": html,
        "permalink_url": call.hub.html_url(f"{repo.full_name}/compare/{base[:7]}...{head[:7]}"),
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": commit(call.hub, repo, base),
        "merge_base_commit": commit(call.hub, repo, merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [commit(call.hub, repo, sha) for sha in ahead[-250:]],
    }
    body["files"] = [
        diff_entry(call.hub, repo, head, f) for f in gitrepo.diff_files(path, merge_base, head)
    ]
    if "diff" in call.headers.get("accept", ""):
        return Reply(
            text=gitrepo.unified_diff(path, merge_base, head),
            media_type="application/vnd.github.diff",
        )
    return Reply(body, etag=True)


_LANGUAGES = {
    ".py": "Python",
    ".js": "JavaScript",
    ".ts": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".rb": "Ruby",
    ".c": "C",
    ".h": "C",
    ".cpp": "C++",
    ".cs": "C#",
    ".sh": "Shell",
    ".html": "HTML",
    ".css": "CSS",
    ".kt": "Kotlin",
    ".swift": "Swift",
    ".php": "PHP",
    ".scala": "Scala",
    ".md": "Markdown",
    ".toml": "TOML",
    ".yml": "YAML",
    ".yaml": "YAML",
    ".json": "JSON",
    ".sql": "SQL",
    ".tsx": "TypeScript",
    ".jsx": "JavaScript",
}


def list_languages(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/languages``: bytes per language on the default branch."""
    repo = call.repo()
    path = call.hub.repo_path(repo.full_name)
    sha = gitrepo.resolve(path, f"refs/heads/{repo.default_branch}")
    sizes: Counter[str] = Counter()
    if sha is not None:
        for entry in gitrepo.list_tree(path, sha, "", recursive=True):
            language = _LANGUAGES.get(PurePosixPath(entry.path).suffix.lower())
            if language and language not in ("Markdown", "JSON", "YAML", "TOML"):
                sizes[language] += entry.size
    return Reply(dict(sizes.most_common()), etag=True)


def collaborator_permission(call: Call) -> Reply:
    """``GET /repos/{owner}/{repo}/collaborators/{username}/permission``."""
    repo = call.repo()
    account = call.hub.user(call.params["username"])
    role = user_role(call.hub, account.login, repo)
    if role is None and account.login.lower() != repo.owner.lower():
        if repo.private:
            raise not_found()
        role = "read"
    legacy = {
        "read": "read",
        "triage": "read",
        "write": "write",
        "maintain": "write",
        "admin": "admin",
    }
    body = simple_user(call.hub, account)
    rank = role_rank(role)
    names = ["pull", "triage", "push", "maintain", "admin"]
    body["permissions"] = {name: rank >= i + 1 for i, name in enumerate(names)}
    body["role_name"] = role or "read"
    return Reply(
        {"permission": legacy[role or "read"], "role_name": role or "read", "user": body},
        etag=True,
    )


ENDPOINTS = [
    Endpoint("GET", R, get_repo),
    Endpoint("GET", R + "/branches", list_branches),
    Endpoint("GET", R + "/branches/{branch:path}", get_branch),
    Endpoint("GET", R + "/contents", get_content),
    Endpoint("GET", R + "/contents/{path:path}", get_content),
    Endpoint("GET", R + "/git/ref/{ref:path}", get_ref),
    Endpoint("POST", R + "/git/refs", create_ref),
    Endpoint("PATCH", R + "/git/refs/{ref:path}", update_ref),
    Endpoint("DELETE", R + "/git/refs/{ref:path}", delete_ref),
    Endpoint("GET", R + "/commits", list_commits),
    Endpoint("GET", R + "/commits/{ref:path}", get_commit),
    Endpoint("GET", R + "/compare/{basehead:path}", compare),
    Endpoint("GET", R + "/languages", list_languages),
    Endpoint("GET", R + "/collaborators/{username}/permission", collaborator_permission),
]
