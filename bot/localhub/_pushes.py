"""What follows a ref update, however it came (git push, merge, admin helper): webhooks."""

from __future__ import annotations

from bot.localhub import _gitrepo as gitrepo
from bot.localhub._checks import suite_for
from bot.localhub._hub import Hub
from bot.localhub._model import Repo
from bot.localhub._payloads import check_suite_event, push_event
from bot.localhub._pulls import on_branch_update


def announce_push(hub: Hub, repo: Repo, ref: str, before: str, after: str, pusher: str) -> None:
    """Fire ``push`` for one ref update and ``pull_request.synchronize`` for PR heads."""
    with hub.lock:
        repo.pushed_at = hub.now()
        repo.updated_at = repo.pushed_at
    hub.emitter.emit("push", push_event(hub, repo, ref, before, after, pusher), repo.full_name)
    if ref.startswith("refs/heads/") and after != gitrepo.ZERO_SHA:
        request_check_suites(hub, repo, after, pusher)
    if ref.startswith("refs/heads/"):
        on_branch_update(hub, repo, ref.removeprefix("refs/heads/"), before, after, pusher)
    hub.persist()


def request_check_suites(hub: Hub, repo: Repo, sha: str, pusher: str) -> None:
    """``check_suite.requested`` to each App with the checks permission, as GitHub does on push.

    Only the App whose suite it is receives it (repository hooks get ``completed`` only).
    """
    with hub.lock:
        apps = sorted(
            {
                inst.app_id
                for inst in hub.state.installations.values()
                if repo.full_name in inst.repositories and inst.permissions.get("checks")
            }
        )
    for app_id in apps:
        suite = suite_for(hub, repo, app_id, sha)
        payload = check_suite_event(hub, suite, "requested", pusher)
        hub.emitter.emit("check_suite", payload, repo.full_name, app_id=app_id)


def announce_ref_changes(
    hub: Hub, repo: Repo, before: dict[str, str], after: dict[str, str], pusher: str
) -> list[str]:
    """Compare two ref snapshots and announce every branch or tag that moved."""
    changed: list[str] = []
    for ref in sorted(set(before) | set(after)):
        old = before.get(ref, gitrepo.ZERO_SHA)
        new = after.get(ref, gitrepo.ZERO_SHA)
        if old != new:
            announce_push(hub, repo, ref, old, new, pusher)
            changed.append(ref)
    return changed


def push_files(
    hub: Hub,
    repo: Repo,
    branch: str,
    files: dict[str, bytes | None],
    author: str,
    message: str,
    start_from: str | None = None,
) -> str:
    """Commit ``files`` on ``branch`` as ``author`` (like a push of that commit); fires webhooks."""
    account = hub.ensure_user(author)
    person = gitrepo.Person(
        account.name or account.login,
        account.email or f"{account.login}@users.noreply.localhub",
        "",
    )
    path = hub.repo_path(repo.full_name)
    ref = f"refs/heads/{branch}"
    with hub.repo_lock(repo.full_name):
        before = gitrepo.resolve(path, ref)
        if before is None and start_from is not None:
            base = gitrepo.resolve_branch_or_sha(path, start_from)
            if base is not None:
                gitrepo.update_ref(path, ref, base)
        stamp = gitrepo.Person(person.name, person.email, _git_now())
        after = gitrepo.commit_files(path, branch, files, stamp, message)
    announce_push(hub, repo, ref, before or gitrepo.ZERO_SHA, after, author)
    return after


def _git_now() -> str:
    import time

    return f"{int(time.time())} +0000"
