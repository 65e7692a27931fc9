"""The inbox pump: a thread that turns stored webhook deliveries into ingest runs.

It runs in every process that serves webhooks (started and stopped by the app's lifespan)
and in every ``specbot worker`` that serves the ingest pipeline, so a ``--no-worker`` front
end's inbox is drained even while it is down. Each round claims a batch of pending rows,
then, in ONE transaction on the same database, enqueues each row's run ``delivery:<id>``
and marks the row done: a row is done exactly when its run exists, and a crash anywhere
leaves either both or neither.

Several pumps on one database (servers and workers on PostgreSQL) take their batches with a
lease (``Inbox.claim``: ``SKIP LOCKED``, a row leased to one pump at a time), so they do not
spend work on the same rows. Correctness does not rest on the lease: the run id is derived
from the delivery id and enqueueing an existing id returns the existing run unchanged, so a
pump whose lease ran out while another took the row over (a stalled process) starts nothing
twice. The lease only keeps the normal case cheap, and makes a crashed pump's rows free again
after ``lease_seconds``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from typing import Any

import structlog

from bot.adapters.durable._client import EngineClient
from bot.adapters.durable._inbox import Inbox, InboxDelivery
from bot.ingest import INGEST_PIPELINE, INGEST_QUEUE, Delivery
from bot.orchestra import delivery_workflow_id
from bot.webhooks import WebhookError, decode_payload

log = structlog.get_logger("specbot.inbox")

DAY_SECONDS = 24 * 3600.0


class InboxPump:
    """Move pending inbox rows into ingest runs until stopped; see the module docstring."""

    def __init__(
        self,
        inbox: Inbox,
        client: EngineClient,
        *,
        owner: str | None = None,
        batch: int = 25,
        lease_seconds: float = 30.0,
        idle_seconds: float = 0.2,
        retention_seconds: float = 7 * DAY_SECONDS,
        prune_every_seconds: float = 600.0,
        max_attempts: int = 10,
    ) -> None:
        self.inbox = inbox
        self.client = client
        # Unique per pump: a lease names the pump that holds it, not the host.
        self.owner = owner or f"{client.settings.executor_id}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.idle_seconds = idle_seconds
        self.retention_seconds = retention_seconds
        self.prune_every_seconds = prune_every_seconds
        self.max_attempts = max_attempts
        self.started_runs = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the pump's thread; its first rounds drain whatever was left pending."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="specbot-inbox-pump", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Wake the pump now: a delivery was just stored in this process."""
        self._wake.set()

    def stop(self, *, drain_seconds: float = 0.0) -> int:
        """Stop the thread, keep pumping for up to ``drain_seconds``; returns rows left pending.

        Rows still leased to this pump are released, so another pump takes them at once.
        """
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        deadline = time.monotonic() + drain_seconds
        try:
            while time.monotonic() < deadline and self.pump_once():
                pass
            self.inbox.release(self.owner)
            return self.inbox.pending_count()
        except Exception as exc:  # the database is gone: the rows wait for the next pump
            log.warning("inbox pump stopped without draining", error=_summary(exc))
            return -1

    # work ------------------------------------------------------------------------------------
    def pump_once(self) -> int:
        """Claim one batch and start its runs; returns how many rows it settled."""
        rows = self.inbox.claim(self.owner, limit=self.batch, lease_seconds=self.lease_seconds)
        if not rows:
            return 0
        ready: list[tuple[InboxDelivery, dict[str, Any]]] = []
        for row in rows:
            try:
                ready.append((row, stored_delivery(row)))
            except (WebhookError, ValueError) as exc:
                # Verified at intake, so this is a bug or a hand-edited row: keep it, say why.
                log.error(
                    "inbox delivery cannot be read",
                    delivery_id=row.delivery_id,
                    error=_summary(exc),
                )
                self.inbox.finish([row.delivery_id], error=_summary(exc))
        try:
            self._start_runs(ready)
        except Exception as exc:
            log.warning("inbox batch failed, starting one by one", error=_summary(exc))
            for item in ready:
                self._start_one(item)
        return len(rows)

    def _start_runs(self, ready: list[tuple[InboxDelivery, dict[str, Any]]]) -> None:
        if not ready:
            return
        with self.inbox.engine.begin() as connection:
            for row, data in ready:
                self.client.start_pipeline_in(
                    connection,
                    INGEST_PIPELINE,
                    data,
                    workflow_id=delivery_workflow_id(row.delivery_id),
                    queue=INGEST_QUEUE,
                )
            self.inbox.finish_in(connection, [row.delivery_id for row, _ in ready])
        self.started_runs += len(ready)

    def _start_one(self, item: tuple[InboxDelivery, dict[str, Any]]) -> None:
        row = item[0]
        try:
            self._start_runs([item])
        except Exception as exc:
            error = _summary(exc)
            if row.attempts + 1 >= self.max_attempts:
                log.error("inbox delivery given up", delivery_id=row.delivery_id, error=error)
                self.inbox.finish([row.delivery_id], error=error)
                return
            delay = min(2.0**row.attempts, 300.0)
            log.warning(
                "inbox delivery not started, retrying",
                delivery_id=row.delivery_id,
                attempt=row.attempts + 1,
                retry_in_s=delay,
                error=error,
            )
            # If the database is down this fails too; the lease then runs out and it is retried.
            with contextlib.suppress(Exception):
                self.inbox.retry_later(row.delivery_id, error, delay_seconds=delay)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                settled = self.pump_once()
                self._prune_now_and_then()
                failures = 0
            except Exception as exc:  # keep pumping: a database hiccup must not stop intake
                failures += 1
                log.warning("inbox pump round failed", error=_summary(exc))
                settled = 0
            if settled >= self.batch:
                continue  # more may be waiting
            pause = self.idle_seconds if not failures else min(0.5 * 2**failures, 10.0)
            self._wake.wait(pause)
            self._wake.clear()

    def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + self.prune_every_seconds
        pruned = self.inbox.prune(older_than_seconds=self.retention_seconds)
        if pruned:
            log.info("inbox pruned", rows=pruned)


def stored_delivery(row: InboxDelivery) -> dict[str, Any]:
    """The ingest pipeline's input for one stored delivery (the body decoded as at intake)."""
    payload = decode_payload(row.body, row.content_type)
    data = {"event": row.event, "delivery_id": row.delivery_id, "payload": payload}
    Delivery.model_validate(data)  # the same check the engine makes, before anything is written
    return data


def _summary(exc: BaseException) -> str:
    text = str(exc).strip()
    first_line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first_line[:300]}"
