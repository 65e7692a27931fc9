"""Commits, diffs, refs, contents, statuses and checks rendered as GitHub returns them."""

from __future__ import annotations

import base64
import zlib
from typing import Any
from urllib.parse import quote

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._hub import Hub
from bot.localhub._model import CheckRun, CheckSuite, CommitStatus, Repo
from bot.localhub._render import app, node_id, user


def _git_user(person: gitrepo.Person) -> dict[str, Any]:
    return {"name": person.name, "email": person.email, "date": _utc(person.date)}


def _utc(date: str) -> str:
    """git's ISO date with its offset, as GitHub's UTC ``Z`` form when the offset is zero."""
    return date.replace("+00:00", "Z")


def _account_for(hub: Hub, email: str) -> dict[str, Any] | None:
    for account in hub.state.users.values():
        if account.email == email or f"{account.login}@users.noreply.localhub" == email:
            return user(hub, account.login)
    return None


def commit(
    hub: Hub, repo: Repo, sha: str, files: list[gitrepo.FileDiff] | None = None
) -> dict[str, Any]:
    """A ``commit``; with ``files`` also its ``stats`` and ``files``."""
    info = gitrepo.commit_info(hub.repo_path(repo.full_name), sha)
    base = f"{hub.api_url}/repos/{repo.full_name}"
    out: dict[str, Any] = {
        "url": f"{base}/commits/{sha}",
        "sha": sha,
        "node_id": node_id("Commit", int(sha[:12], 16)),
        "html_url": hub.html_url(f"{repo.full_name}/commit/{sha}"),
        "comments_url": f"{base}/commits/{sha}/comments",
        "commit": {
            "url": f"{base}/git/commits/{sha}",
            "author": _git_user(info.author),
            "committer": _git_user(info.committer),
            "message": info.message,
            "comment_count": 0,
            "tree": {"sha": info.tree, "url": f"{base}/git/trees/{info.tree}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": _account_for(hub, info.author.email),
        "committer": _account_for(hub, info.committer.email),
        "parents": [
            {
                "sha": parent,
                "url": f"{base}/commits/{parent}",
                "html_url": hub.html_url(f"{repo.full_name}/commit/{parent}"),
            }
            for parent in info.parents
        ],
    }
    if files is not None:
        added = sum(f.additions for f in files)
        deleted = sum(f.deletions for f in files)
        out["stats"] = {"additions": added, "deletions": deleted, "total": added + deleted}
        out["files"] = [diff_entry(hub, repo, sha, f) for f in files]
    return out


def diff_entry(hub: Hub, repo: Repo, ref: str, item: gitrepo.FileDiff) -> dict[str, Any]:
    """A ``diff-entry`` (one file of a pull request, commit or comparison)."""
    path = quote(item.filename)
    out: dict[str, Any] = {
        "sha": item.sha,
        "filename": item.filename,
        "status": item.status,
        "additions": item.additions,
        "deletions": item.deletions,
        "changes": item.additions + item.deletions,
        "blob_url": hub.html_url(f"{repo.full_name}/blob/{ref}/{path}"),
        "raw_url": hub.html_url(f"{repo.full_name}/raw/{ref}/{path}"),
        "contents_url": f"{hub.api_url}/repos/{repo.full_name}/contents/{path}?ref={ref}",
    }
    if item.patch is not None:
        out["patch"] = item.patch
    if item.previous_filename is not None:
        out["previous_filename"] = item.previous_filename
    return out


def git_ref(hub: Hub, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    """A ``git-ref``."""
    base = f"{hub.api_url}/repos/{repo.full_name}/git"
    return {
        "ref": ref,
        "node_id": node_id("Ref", zlib.crc32(f"{repo.full_name}:{ref}".encode())),
        "url": f"{base}/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{base}/commits/{sha}"},
    }


def branch(hub: Hub, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    """A ``branch-with-protection`` (unprotected: localhub has no branch protection)."""
    url = f"{hub.api_url}/repos/{repo.full_name}/branches/{quote(name)}"
    return {
        "name": name,
        "commit": commit(hub, repo, sha),
        "_links": {"html": hub.html_url(f"{repo.full_name}/tree/{name}"), "self": url},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": f"{url}/protection",
    }


def short_branch(hub: Hub, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    """A ``short-branch`` (``GET /branches``)."""
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{hub.api_url}/repos/{repo.full_name}/commits/{sha}"},
        "protected": False,
    }


def _content_links(hub: Hub, repo: Repo, entry: gitrepo.TreeEntry, ref: str) -> dict[str, Any]:
    base = f"{hub.api_url}/repos/{repo.full_name}"
    kind = "blobs" if entry.type == "blob" else "trees"
    html_kind = "blob" if entry.type == "blob" else "tree"
    path = quote(entry.path)
    return {
        "url": f"{base}/contents/{path}?ref={quote(ref)}",
        "git_url": f"{base}/git/{kind}/{entry.sha}",
        "html_url": hub.html_url(f"{repo.full_name}/{html_kind}/{ref}/{path}"),
        "download_url": (
            hub.html_url(f"{repo.full_name}/raw/{ref}/{path}") if entry.type == "blob" else None
        ),
    }


def content_entry(hub: Hub, repo: Repo, entry: gitrepo.TreeEntry, ref: str) -> dict[str, Any]:
    """One item of a directory listing (``content-directory``)."""
    links = _content_links(hub, repo, entry, ref)
    return {
        "type": "file" if entry.type == "blob" else "dir",
        "size": entry.size,
        "name": entry.path.rsplit("/", 1)[-1],
        "path": entry.path,
        "sha": entry.sha,
        **links,
        "_links": {"self": links["url"], "git": links["git_url"], "html": links["html_url"]},
    }


def content_file(
    hub: Hub, repo: Repo, entry: gitrepo.TreeEntry, ref: str, data: bytes
) -> dict[str, Any]:
    """A ``content-file`` with its bytes base64-encoded in 60-column lines, as GitHub does."""
    encoded = base64.b64encode(data).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    return {
        **content_entry(hub, repo, entry, ref),
        "encoding": "base64",
        "content": wrapped + ("\n" if wrapped else ""),
    }


def status(hub: Hub, item: CommitStatus) -> dict[str, Any]:
    """A ``status``."""
    creator = hub.ensure_user(item.creator)
    return {
        "url": f"{hub.api_url}/repos/{item.repo}/statuses/{item.sha}",
        "avatar_url": f"{hub.public_url}/avatars/u/{creator.id}",
        "id": item.id,
        "node_id": node_id("StatusContext", item.id),
        "state": item.state,
        "description": item.description,
        "target_url": item.target_url,
        "context": item.context,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "creator": user(hub, item.creator),
    }


def check_suite(hub: Hub, item: CheckSuite) -> dict[str, Any]:
    """The ``check_suite`` summary embedded in check runs and webhooks."""
    return {
        "id": item.id,
        "node_id": node_id("CheckSuite", item.id),
        "head_branch": item.head_branch,
        "head_sha": item.head_sha,
        "status": item.status,
        "conclusion": item.conclusion,
        "url": f"{hub.api_url}/repos/{item.repo}/check-suites/{item.id}",
        "before": None,
        "after": item.head_sha,
        "pull_requests": [],
        "app": app(hub, hub.state.apps[item.app_id]),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def check_run(hub: Hub, item: CheckRun) -> dict[str, Any]:
    """A ``check-run``."""
    url = f"{hub.api_url}/repos/{item.repo}/check-runs/{item.id}"
    suite = hub.state.check_suites[item.suite_id]
    app_item = hub.state.apps[item.app_id]
    output = item.output
    return {
        "id": item.id,
        "head_sha": item.head_sha,
        "node_id": node_id("CheckRun", item.id),
        # GitHub fills these in when the App leaves them out: "" and the App's homepage
        "external_id": item.external_id or "",
        "url": url,
        "html_url": hub.html_url(f"{item.repo}/runs/{item.id}"),
        "details_url": item.details_url or hub.html_url(f"apps/{app_item.slug}"),
        "status": item.status,
        "conclusion": item.conclusion,
        "started_at": item.started_at,
        "completed_at": item.completed_at,
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(output.get("annotations") or []),
            "annotations_url": f"{url}/annotations",
        },
        "name": item.name,
        "check_suite": {"id": suite.id},
        "app": app(hub, app_item),
        "pull_requests": [],
    }
