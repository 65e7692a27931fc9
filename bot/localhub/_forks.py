"""Pull requests from forks: the head branch lives in another repository of the network.

As on GitHub, the fork's commits are copied into the base repository under
``refs/pull/<n>/head``, so the base repository serves the pull request's diff, commits and
checks, and a push to the fork's branch moves that ref and fires ``synchronize`` there.
"""

from __future__ import annotations

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._errors import validation_failed
from bot.localhub._hub import Hub
from bot.localhub._model import Issue, Repo


def head_of(hub: Hub, repo: Repo, head: str) -> tuple[str, Repo | None]:
    """The branch of ``head`` (``branch`` or ``owner:branch``) and the fork it lives in, if any.

    ``owner:branch`` names ``repo`` itself when ``owner`` owns it, else ``owner``'s fork of it.
    """
    owner, sep, branch = head.partition(":")
    if not sep:
        return head, None
    if owner.lower() == repo.owner.lower():
        return branch, None
    with hub.lock:
        fork = next(
            (
                other
                for other in hub.state.repos.values()
                if other.owner.lower() == owner.lower() and other.fork_of == repo.full_name
            ),
            None,
        )
    if fork is None:
        raise validation_failed(
            "PullRequest", "head", message=f"Head repository {owner} is not a fork"
        )
    return branch, fork


def fetch_head(hub: Hub, fork: Repo, branch: str, base: Repo) -> str | None:
    """Copy the fork's ``branch`` commits into ``base``; the branch's sha, None if absent."""
    sha = gitrepo.resolve(hub.repo_path(fork.full_name), f"refs/heads/{branch}")
    if sha is None:
        return None
    with hub.repo_lock(base.full_name):
        gitrepo.git(
            hub.repo_path(base.full_name),
            "fetch",
            "--quiet",
            "--no-tags",
            str(hub.repo_path(fork.full_name)),
            f"refs/heads/{branch}",
        )
    return sha


def pin_head(hub: Hub, issue: Issue) -> None:
    """Point the base repository's ``refs/pull/<n>/head`` at the pull request's head commit."""
    assert issue.pull is not None
    with hub.repo_lock(issue.repo):
        ref = f"refs/pull/{issue.number}/head"
        gitrepo.update_ref(hub.repo_path(issue.repo), ref, issue.pull.head_sha)


def pulls_from(hub: Hub, fork: Repo, branch: str) -> list[Issue]:
    """Open pull requests, in other repositories, whose head is ``fork``'s ``branch``."""
    with hub.lock:
        return [
            issue
            for issue in hub.state.issues.values()
            if issue.pull is not None
            and issue.state == "open"
            and issue.pull.head_repo == fork.full_name
            and issue.pull.head_ref == branch
        ]


def sync_fork_push(hub: Hub, fork: Repo, branch: str, after: str) -> list[Issue]:
    """After a push to a fork's branch: its pull requests' heads moved (``synchronize`` due)."""
    moved: list[Issue] = []
    for issue in pulls_from(hub, fork, branch):
        assert issue.pull is not None
        base = hub.repo(issue.repo)
        if fetch_head(hub, fork, branch, base) != after:
            continue
        with hub.lock:
            issue.pull.head_sha = after
            issue.updated_at = hub.now()
        pin_head(hub, issue)
        moved.append(issue)
    return moved
