"""Signed webhook deliveries from a background worker, a delivery log and redelivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import httpx

from bot.localhub._hub import Hub
from bot.localhub._model import Delivery
from bot.localhub._payloads import ping
from bot.webhooks import sign

USER_AGENT = "GitHub-Hookshot/localhub"
# an App only receives an event when its installation holds one of these permissions
EVENT_PERMISSIONS = {
    "issues": ("issues",),
    "issue_comment": ("issues", "pull_requests"),
    "pull_request": ("pull_requests",),
    "pull_request_review": ("pull_requests",),
    "pull_request_review_comment": ("pull_requests",),
    "push": ("contents",),
    "check_run": ("checks",),
    "check_suite": ("checks",),
}
DELIVERY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class _Target:
    hook_id: int
    kind: str  # "integration" (an App) or "repository"
    url: str
    target_id: int
    installation_id: int | None


class WebhookDispatcher:
    """Queues deliveries and sends them from one worker thread; GitHub never retries."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._client: httpx.Client | None = None  # made by the worker: building one is slow
        self._worker = threading.Thread(target=self._run, name="localhub-webhooks", daemon=True)
        self._worker.start()

    # -- producing -----------------------------------------------------------------------
    def emit(
        self,
        event: str,
        payload: dict[str, Any],
        repo: str | None = None,
        app_id: int | None = None,
    ) -> None:
        """Queue one delivery per subscribed App and repository hook (one App: ``app_id``)."""
        for target in self._targets(event, repo, payload):
            if app_id is not None and (target.kind, target.hook_id) != ("integration", app_id):
                continue
            body = dict(payload)
            if target.kind == "integration" and target.installation_id is not None:
                body.setdefault(
                    "installation",
                    {
                        "id": target.installation_id,
                        "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{target.installation_id}",
                    },
                )
            self._enqueue(target, event, body, repo)

    def _targets(self, event: str, repo: str | None, payload: dict[str, Any]) -> list[_Target]:
        state = self.hub.state
        targets: list[_Target] = []
        with self.hub.lock:
            for inst in state.installations.values():
                app = state.apps.get(inst.app_id)
                if app is None or not app.webhook_url:
                    continue
                allowed = any(
                    p in inst.permissions for p in EVENT_PERMISSIONS.get(event, ("metadata",))
                )
                covers = repo is not None and repo in inst.repositories and allowed
                own_event = event in ("installation", "installation_repositories") and (
                    payload.get("installation", {}).get("id") == inst.id
                )
                if covers or own_event:
                    targets.append(_Target(app.id, "integration", app.webhook_url, app.id, inst.id))
            for hook in state.hooks.values():
                if repo is None or hook.repo != repo or not hook.active:
                    continue
                if event == "ping" or any(fnmatchcase(event, e) for e in hook.events):
                    repo_id = self.hub.repo(repo).id
                    targets.append(_Target(hook.id, "repository", hook.url, repo_id, None))
        # one App installed twice on the same repository still gets one delivery
        unique = {(t.kind, t.hook_id): t for t in targets}
        return list(unique.values())

    def ping_hook(self, hook_id: int) -> None:
        """Send a ``ping`` to one repository hook, as GitHub does when a hook is created."""
        hook = self.hub.state.hooks[hook_id]
        repo = self.hub.repo(hook.repo)
        target = _Target(hook.id, "repository", hook.url, repo.id, None)
        self._enqueue(target, "ping", ping(self.hub, hook), hook.repo)

    def _enqueue(self, target: _Target, event: str, body: dict[str, Any], repo: str | None) -> None:
        delivery = Delivery(
            id=self.hub.new_id(),
            guid=str(uuid.uuid4()),
            hook_id=target.hook_id,
            target=f"{target.kind}:{target.target_id}",
            url=target.url,
            event=event,
            action=body.get("action"),
            repo=repo,
            installation_id=target.installation_id,
            delivered_at=self.hub.now(),
            payload=body,
        )
        with self.hub.lock:
            self.hub.state.deliveries[delivery.id] = delivery
        self._queue.put(delivery.id)

    def redeliver(self, delivery_id: int) -> Delivery:
        """Send a logged delivery again (same GUID, ``redelivery`` set), as GitHub's UI does."""
        with self.hub.lock:
            original = self.hub.state.deliveries[delivery_id]
            copy = original.model_copy(
                update={
                    "id": self.hub.new_id(),
                    "status": "pending",
                    "status_code": None,
                    "duration_ms": None,
                    "redelivery": True,
                    "delivered_at": self.hub.now(),
                }
            )
            self.hub.state.deliveries[copy.id] = copy
        self._queue.put(copy.id)
        return copy

    # -- consuming -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            delivery_id = self._queue.get()
            try:
                if delivery_id is None:
                    return
                self._deliver(delivery_id)
            finally:
                self._queue.task_done()

    def _deliver(self, delivery_id: int) -> None:
        with self.hub.lock:
            delivery = self.hub.state.deliveries[delivery_id]
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        kind, _, target_id = delivery.target.partition(":")
        secret = self._secret(kind, delivery.hook_id)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": delivery.event,
            "X-GitHub-Delivery": delivery.guid,
            "X-GitHub-Hook-ID": str(delivery.hook_id),
            "X-GitHub-Hook-Installation-Target-ID": target_id,
            "X-GitHub-Hook-Installation-Target-Type": kind,
        }
        if secret:
            headers["X-Hub-Signature-256"] = sign(body, secret)
            headers["X-Hub-Signature"] = (
                "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
            )
        started = time.perf_counter()
        update: dict[str, Any]
        if self.hub.faults.drops_delivery(delivery.event, delivery.action):
            update = {"status": "dropped"}
        else:
            try:
                if self._client is None:
                    self._client = httpx.Client(timeout=DELIVERY_TIMEOUT_SECONDS)
                response = self._client.post(delivery.url, content=body, headers=headers)
                ok = 200 <= response.status_code < 300
                update = {"status": "OK" if ok else "failed", "status_code": response.status_code}
            except (httpx.HTTPError, RuntimeError) as error:
                # RuntimeError: the client was closed while localhub stops
                update = {"status": f"failed: {type(error).__name__}"}
        update["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        with self.hub.lock:
            current = self.hub.state.deliveries[delivery_id]
            self.hub.state.deliveries[delivery_id] = current.model_copy(update=update)
        self.hub.persist()

    def _secret(self, kind: str, hook_id: int) -> str | None:
        with self.hub.lock:
            if kind == "integration":
                app = self.hub.state.apps.get(hook_id)
                return app.webhook_secret if app else None
            hook = self.hub.state.hooks.get(hook_id)
            return hook.secret if hook else None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was attempted (False on timeout)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Finish queued deliveries, then stop the worker."""
        self._queue.put(None)
        self._worker.join(timeout=DELIVERY_TIMEOUT_SECONDS + 5)
        if self._client is not None:
            self._client.close()
