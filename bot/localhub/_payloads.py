"""Webhook bodies, shaped like GitHub's deliveries for each event and action."""

from __future__ import annotations

import calendar
import time
from typing import Any

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._hub import Hub
from bot.localhub._model import (
    CheckRun,
    CheckSuite,
    Hook,
    Installation,
    Issue,
    Repo,
    thread_records,
)
from bot.localhub._render import installation as render_installation
from bot.localhub._render import repository, user
from bot.localhub._render_git import check_run as render_check_run
from bot.localhub._render_git import check_suite as render_check_suite

ZEN = "Keep it logically awesome."


def envelope(hub: Hub, repo: Repo, sender: str, action: str | None = None) -> dict[str, Any]:
    """The keys every repository event carries: ``action``, ``repository``, ``sender``."""
    out: dict[str, Any] = {}
    if action is not None:
        out["action"] = action
    out["repository"] = repository(hub, repo, full=False)
    out["sender"] = user(hub, sender)
    return out


def pull_counters(hub: Hub, issue: Issue) -> dict[str, Any]:
    """The counters a full ``pull-request`` adds to the simple one (from real git objects)."""
    assert issue.pull is not None
    path = hub.repo_path(issue.repo)
    pull = issue.pull
    base = gitrepo.merge_base(path, pull.base_sha, pull.head_sha) or pull.base_sha
    files = gitrepo.diff_files(path, base, pull.head_sha)
    commits = gitrepo.rev_list(path, pull.head_sha, pull.base_sha)
    mergeable = None if pull.merged else gitrepo.is_mergeable(path, pull.base_sha, pull.head_sha)
    comments = len(thread_records(hub.state.issue_comments.values(), issue.repo, issue.number))
    review_comments = len(
        thread_records(hub.state.review_comments.values(), issue.repo, issue.number)
    )
    state = "unknown" if pull.merged else "clean" if mergeable else "dirty"
    return {
        "merged": pull.merged,
        "mergeable": mergeable,
        "rebaseable": mergeable,
        "mergeable_state": state,
        "merged_by": user(hub, pull.merged_by),
        "comments": comments,
        "review_comments": review_comments,
        "maintainer_can_modify": False,
        "commits": len(commits),
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "changed_files": len(files),
    }


def ping(hub: Hub, hook: Hook) -> dict[str, Any]:
    """The ``ping`` sent when a repository hook is created."""
    repo = hub.repo(hook.repo)
    api = f"{hub.api_url}/repos/{repo.full_name}/hooks/{hook.id}"
    return {
        "zen": ZEN,
        "hook_id": hook.id,
        "hook": {
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": hook.events,
            "config": {"content_type": "json", "insecure_ssl": "0", "url": hook.url},
            "updated_at": hook.created_at,
            "created_at": hook.created_at,
            "url": api,
            "test_url": f"{api}/test",
            "ping_url": f"{api}/pings",
            "deliveries_url": f"{api}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        },
        "repository": repository(hub, repo, full=False),
        "sender": user(hub, repo.owner),
    }


def installation_event(hub: Hub, inst: Installation, action: str, sender: str) -> dict[str, Any]:
    """``installation`` created/deleted, with the repositories it covers."""
    repos = [hub.repo(name) for name in inst.repositories if hub.find_repo(name)]
    return {
        "action": action,
        "installation": render_installation(hub, inst),
        "repositories": [
            {
                "id": r.id,
                "node_id": repository(hub, r)["node_id"],
                "name": r.name,
                "full_name": r.full_name,
                "private": r.private,
            }
            for r in repos
        ],
        "requester": None,
        "sender": user(hub, sender),
    }


def check_suite_event(hub: Hub, suite: CheckSuite, action: str, sender: str) -> dict[str, Any]:
    """``check_suite`` requested/completed."""
    repo = hub.repo(suite.repo)
    body = render_check_suite(hub, suite)
    runs = [r for r in hub.state.check_runs.values() if r.suite_id == suite.id]
    info = gitrepo.commit_info(hub.repo_path(repo.full_name), suite.head_sha)
    body.update(
        {
            "latest_check_runs_count": len(runs),
            "check_runs_url": f"{body['url']}/check-runs",
            "head_commit": {
                "id": info.sha,
                "tree_id": info.tree,
                "message": info.message,
                "timestamp": info.committer.date,
                "author": {"name": info.author.name, "email": info.author.email},
                "committer": {"name": info.committer.name, "email": info.committer.email},
            },
        }
    )
    return {"action": action, "check_suite": body, **envelope(hub, repo, sender)}


def check_run_event(hub: Hub, run: CheckRun, action: str, sender: str) -> dict[str, Any]:
    """``check_run`` created/completed, with its suite in full."""
    repo = hub.repo(run.repo)
    body = render_check_run(hub, run)
    body["check_suite"] = render_check_suite(hub, hub.state.check_suites[run.suite_id])
    return {"action": action, "check_run": body, **envelope(hub, repo, sender)}


def _epoch(stamp: str) -> int:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def push_event(
    hub: Hub, repo: Repo, ref: str, before: str, after: str, pusher: str
) -> dict[str, Any]:
    """``push`` for one ref update, with the commits it introduced (at most 20, as GitHub)."""
    path = hub.repo_path(repo.full_name)
    created = before == gitrepo.ZERO_SHA
    deleted = after == gitrepo.ZERO_SHA
    shas: list[str] = []
    if not deleted:
        shas = gitrepo.rev_list(path, after, None if created else before)
        if created:
            known = [s for r, s in gitrepo.list_refs(path, "refs/heads/").items() if r != ref]
            shas = [s for s in shas if not any(gitrepo.is_ancestor(path, s, k) for k in known)]
    commits = [_push_commit(hub, repo, sha) for sha in shas[-20:]]
    forced = not created and not deleted and not gitrepo.is_ancestor(path, before, after)
    repo_body = repository(hub, repo, full=False)
    repo_body.update(
        {
            "created_at": _epoch(repo.created_at),
            "pushed_at": _epoch(repo.pushed_at),
            "stargazers": 0,
            "master_branch": repo.default_branch,
        }
    )
    account = hub.ensure_user(pusher)
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": created,
        "deleted": deleted,
        "forced": forced,
        "base_ref": None,
        "compare": hub.html_url(f"{repo.full_name}/compare/{before[:12]}...{after[:12]}"),
        "commits": commits,
        "head_commit": commits[-1] if commits else None,
        "repository": repo_body,
        "pusher": {"name": account.login, "email": account.email},
        "sender": user(hub, pusher),
    }


def _push_commit(hub: Hub, repo: Repo, sha: str) -> dict[str, Any]:
    path = hub.repo_path(repo.full_name)
    info = gitrepo.commit_info(path, sha)
    added: list[str] = []
    removed: list[str] = []
    modified: list[str] = []
    parent = info.parents[0] if info.parents else gitrepo.EMPTY_TREE
    for change in gitrepo.diff_files(path, parent, sha):
        bucket = {"added": added, "removed": removed}.get(change.status, modified)
        bucket.append(change.filename)
    return {
        "id": sha,
        "tree_id": info.tree,
        "distinct": True,
        "message": info.message,
        "timestamp": info.committer.date,
        "url": hub.html_url(f"{repo.full_name}/commit/{sha}"),
        "author": {"name": info.author.name, "email": info.author.email},
        "committer": {"name": info.committer.name, "email": info.committer.email},
        "added": added,
        "removed": removed,
        "modified": modified,
    }
