"""``LocalHub``: the hub with its webhook worker, and helpers that act as a given user."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from bot.localhub import _checks as checks
from bot.localhub import _gitrepo as gitrepo
from bot.localhub import _issues as issues
from bot.localhub import _pulls as pulls
from bot.localhub._auth import issue_actions_token
from bot.localhub._faults import FaultRule
from bot.localhub._hub import Hub
from bot.localhub._model import Installation
from bot.localhub._payloads import installation_event
from bot.localhub._pushes import push_files
from bot.localhub._render_issues import issue as render_issue
from bot.localhub._render_issues import issue_comment as render_comment
from bot.localhub._render_issues import review as render_review
from bot.localhub._seed import (
    Seed,
    SeedApp,
    SeedHook,
    SeedInstallation,
    SeedRepo,
    SeedUser,
    add_app,
    add_hook,
    add_installations,
    add_repo,
    apply_seed,
    load_seed,
    parse_seed,
)
from bot.localhub._webhooks import WebhookDispatcher
from bot.localhub._workflow_permissions import WorkflowPermissions, token_permissions

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """Run a helper holding the hub's lock, like a REST handler (one consistent state)."""

    @functools.wraps(method)
    def run(self: LocalHub, *args: Any, **kwargs: Any) -> Any:
        with self.hub.lock:
            return method(self, *args, **kwargs)

    return cast(F, run)


class LocalHub:
    """A local GitHub's state and behaviour, without the HTTP server (see ``start_localhub``).

    Every helper acts as ``as_user`` and fires the webhooks GitHub would.
    """

    def __init__(
        self,
        seed: Seed | Path | dict[str, Any] | None = None,
        data_dir: Path | None = None,
        random_seed: int = 0,
    ) -> None:
        gitrepo.require_git()
        self.hub = Hub(data_dir, random_seed=random_seed)
        self.webhooks = WebhookDispatcher(self.hub)
        self.hub.emitter = self.webhooks
        try:
            if seed is not None and not self.hub.loaded_from_disk:
                self.load_seed(seed)
        except BaseException:
            self.close()
            raise

    # -- setup ---------------------------------------------------------------------------
    def load_seed(self, seed: Seed | Path | dict[str, Any], base_dir: Path | None = None) -> None:
        """Add a seed (a file, a parsed seed, or its data) to the current state."""
        if isinstance(seed, Path):
            seed = load_seed(seed)
        elif isinstance(seed, dict):
            seed = parse_seed(seed, base_dir or Path.cwd())
        apply_seed(self.hub, seed)
        self.hub.persist()

    def add_user(self, login: str, token: str | None = None, **fields: Any) -> None:
        """Add a user (with an optional personal token)."""
        self.load_seed(Seed(users=[SeedUser(login=login, token=token, **fields)]))

    def add_repo(self, full_name: str, source: Path | None = None, **fields: Any) -> None:
        """Add a repository, from a directory (first commit) or a git repository (history)."""
        add_repo(self.hub, SeedRepo(full_name=full_name, source=source, **fields))
        self.hub.persist()

    def add_app(self, app: SeedApp) -> None:
        """Register an App; each installation fires ``installation.created``."""
        add_app(self.hub, app)
        for inst in app.installations:
            self._announce_installation(self.hub.state.installations[inst.id], "created")
        self.hub.persist()

    @_locked
    def set_app_webhook(self, app_id: int, url: str | None, secret: str | None = None) -> None:
        """Point an App's webhook deliveries at ``url`` (e.g. a server started on a free port)."""
        app = self.hub.state.apps.get(app_id)
        if app is None:
            raise KeyError(f"no App with id {app_id}")
        app.webhook_url = url
        if secret is not None:
            app.webhook_secret = secret
        self.hub.persist()

    def add_installation(self, app_id: int, installation: SeedInstallation) -> None:
        """Install an App on an account at run time (fires ``installation.created``)."""
        app = self.hub.state.apps.get(app_id)
        if app is None:
            raise KeyError(f"no App with id {app_id}")
        with self.hub.lock:
            add_installations(self.hub, app, [installation])
            created = self.hub.state.installations[installation.id]
        self._announce_installation(created, "created")
        self.hub.persist()

    def _announce_installation(self, inst: Installation, action: str) -> None:
        payload = installation_event(self.hub, inst, action, inst.account)
        self.webhooks.emit("installation", payload, None)

    def add_hook(
        self, repo: str, url: str, secret: str | None = None, events: list[str] | None = None
    ) -> int:
        """Add a repository webhook and send it a ``ping``; returns its id."""
        hook = add_hook(
            self.hub, SeedHook(repo=repo, url=url, secret=secret, events=events or ["*"])
        )
        self.webhooks.ping_hook(hook.id)
        self.hub.persist()
        return hook.id

    def actions_token(
        self,
        repo: str,
        permissions: Mapping[str, str] | None = None,
        *,
        workflow_permissions: WorkflowPermissions = None,
    ) -> str:
        """A workflow run's ``GITHUB_TOKEN`` for one repository.

        ``permissions`` are the token's own (``{"pull_requests": "write"}``); without them the
        token gets what the workflow's ``permissions:`` value grants (``"read-all"``,
        ``{"pull-requests": "write"}``; None, no block: GitHub's permissive default).
        """
        if permissions is not None and workflow_permissions is not None:
            raise ValueError("give permissions or workflow_permissions, not both")
        granted = (
            dict(permissions)
            if permissions is not None
            else token_permissions(workflow_permissions)
        )
        token = issue_actions_token(self.hub, repo, granted).token
        self.hub.persist()
        return token

    # -- acting as a user ----------------------------------------------------------------
    @_locked
    def open_issue(
        self,
        repo: str,
        title: str,
        body: str | None = None,
        *,
        as_user: str,
        labels: list[str] | None = None,
    ) -> dict[str, Any]:
        """Open an issue (fires ``issues.opened``)."""
        item = issues.create_issue(
            self.hub, self.hub.repo(repo), as_user, {"title": title, "body": body, "labels": labels}
        )
        self.hub.persist()
        return render_issue(self.hub, item)

    @_locked
    def edit_issue(self, repo: str, number: int, *, as_user: str, **fields: Any) -> dict[str, Any]:
        """Edit title, body or state (fires edited, closed or reopened)."""
        item = issues.get_issue(self.hub, self.hub.repo(repo), number)
        issues.update_issue(self.hub, item, as_user, fields)
        self.hub.persist()
        return render_issue(self.hub, item)

    @_locked
    def label(self, repo: str, number: int, labels: list[str], *, as_user: str) -> None:
        """Add labels to an issue or pull request (fires ``labeled``)."""
        item = issues.get_issue(self.hub, self.hub.repo(repo), number)
        issues.add_labels(self.hub, item, as_user, labels)
        self.hub.persist()

    @_locked
    def unlabel(self, repo: str, number: int, name: str, *, as_user: str) -> None:
        """Remove a label (fires ``unlabeled``)."""
        item = issues.get_issue(self.hub, self.hub.repo(repo), number)
        issues.remove_label(self.hub, item, as_user, name)
        self.hub.persist()

    @_locked
    def comment(self, repo: str, number: int, body: str, *, as_user: str) -> dict[str, Any]:
        """Comment on an issue or pull request (fires ``issue_comment.created``)."""
        item = issues.get_issue(self.hub, self.hub.repo(repo), number)
        created = issues.comment(self.hub, item, as_user, body)
        self.hub.persist()
        return render_comment(self.hub, created)

    @_locked
    def review(
        self,
        repo: str,
        number: int,
        *,
        as_user: str,
        event: str = "COMMENT",
        body: str = "",
        comments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Submit a review, optionally with inline comments (fires ``pull_request_review``)."""
        item = pulls.get_pull(self.hub, self.hub.repo(repo), number)
        fields = {"event": event, "body": body, "comments": comments or []}
        created = pulls.submit_review(self.hub, item, as_user, fields)
        self.hub.persist()
        return render_review(self.hub, created)

    @_locked
    def push(
        self,
        repo: str,
        branch: str,
        files: Mapping[str, str | bytes | None],
        *,
        as_user: str,
        message: str = "Update files",
        start_from: str | None = None,
    ) -> str:
        """Commit ``files`` to ``branch`` as pushed by ``as_user`` (fires push, synchronize)."""
        encoded = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
        target = self.hub.repo(repo)
        return push_files(
            self.hub,
            target,
            branch,
            encoded,
            as_user,
            message,
            start_from=start_from or target.default_branch,
        )

    @_locked
    def open_pull(
        self,
        repo: str,
        head: str,
        base: str | None = None,
        *,
        title: str,
        body: str | None = None,
        as_user: str,
    ) -> dict[str, Any]:
        """Open a pull request (fires ``pull_request.opened``)."""
        target = self.hub.repo(repo)
        fields = {"head": head, "base": base or target.default_branch, "title": title, "body": body}
        item = pulls.create_pull(self.hub, target, as_user, fields)
        self.hub.persist()
        return pulls.full_pull(self.hub, item)

    @_locked
    def combined_state(self, repo: str, sha: str) -> str:
        """The combined commit status of ``sha`` (pending, success or failure)."""
        found = [s for s in self.hub.state.statuses.values() if s.repo == repo and s.sha == sha]
        return checks.combined_state(found)

    # -- reading -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The whole state as JSON-ready data."""
        with self.hub.lock:
            return self.hub.state.model_dump(mode="json")

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first."""
        return list(self.hub.request_log)

    def deliveries(self, event: str | None = None) -> list[dict[str, Any]]:
        """The webhook delivery log, oldest first (optionally one event only)."""
        with self.hub.lock:
            found = sorted(self.hub.state.deliveries.values(), key=lambda d: d.id)
            return [d.model_dump(mode="json") for d in found if event in (None, d.event)]

    def redeliver(self, delivery_id: int) -> dict[str, Any]:
        """Send a delivery again (same GUID), as GitHub's redeliver button does."""
        return self.webhooks.redeliver(delivery_id).model_dump(mode="json")

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook delivery was attempted."""
        return self.webhooks.wait_idle(timeout)

    # -- faults --------------------------------------------------------------------------
    def add_fault(self, rule: FaultRule | dict[str, Any]) -> int:
        """Activate a fault rule; returns its id."""
        return self.hub.faults.add(FaultRule.model_validate(rule))

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.hub.faults.clear()

    def close(self) -> None:
        """Finish deliveries, persist and release temporary files."""
        self.webhooks.close()
        self.hub.close()
