"""The inbox pump: a thread that turns stored webhook deliveries into ingest runs.

It runs in every process that serves webhooks (started and stopped by the app's lifespan)
and in every ``specbot worker`` that serves the ingest pipeline, so a ``--no-worker`` front
end's inbox is drained even while it is down. Each round is ONE transaction on the engine's
database: take a batch of due rows (marking them done), enqueue each row's run
``delivery:<id>``, commit. A row is done exactly when its run exists; a crash anywhere
leaves both or neither, and the rows are due again for the next round or the next pump.

Several pumps on one database (servers and workers on PostgreSQL) do not need leases: the
rows a round takes stay locked until it commits, and a concurrent round passes them by
(``SKIP LOCKED``; on SQLite the database's single write lock serialises rounds), so no two
pumps start the same batch, and a pump that dies mid-round just releases its locks. The
deterministic run id is the second line: enqueueing an id that exists returns the existing
run unchanged, so even a row taken twice (say, restored from a backup) starts one run.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
import structlog

from bot.adapters.durable._client import EngineClient
from bot.adapters.durable._inbox import Inbox, InboxDelivery, inbox_engine
from bot.adapters.durable._settings import EngineSettings
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
        batch: int = 10,
        idle_seconds: float = 0.2,
        retention_seconds: float = 7 * DAY_SECONDS,
        prune_every_seconds: float = 600.0,
        max_attempts: int = 10,
    ) -> None:
        self.inbox = inbox
        self.client = client
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.retention_seconds = retention_seconds
        self.prune_every_seconds = prune_every_seconds
        self.max_attempts = max_attempts
        self.started_runs = 0  # runs this pump enqueued (a repeat of an existing id counts)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0
        self._owns_connections = False

    @classmethod
    def connect(cls, settings: EngineSettings, **options: Any) -> InboxPump:
        """A pump with its own connections to the engine's database (``close`` ends them)."""
        pump = cls(Inbox(inbox_engine(settings.database_url)), EngineClient(settings), **options)
        pump._owns_connections = True
        return pump

    def close(self, *, drain_seconds: float = 0.0) -> int:
        """``stop``, then close the connections ``connect`` opened; returns rows left due."""
        left = self.stop(drain_seconds=drain_seconds)
        if self._owns_connections:
            self.inbox.dispose()
            self.client.close()
        return left

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
        """Stop the thread, keep pumping for up to ``drain_seconds``; returns rows left due
        (-1 if the database could not be asked)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        deadline = time.monotonic() + drain_seconds
        try:
            while time.monotonic() < deadline and self.pump_once():
                pass
            return self.inbox.pending_count()
        except Exception as exc:  # the database is gone: the rows wait for the next pump
            log.warning("inbox pump stopped without draining", error=_summary(exc))
            return -1

    # work ------------------------------------------------------------------------------------
    def pump_once(self) -> int:
        """Start the runs of one batch of due deliveries; returns how many rows it settled."""
        if not self.inbox.has_pending():
            return 0
        taken: list[InboxDelivery] = []
        try:
            with self.inbox.transaction() as connection:
                taken = self.inbox.take_in(connection, limit=self.batch)
                started = self._start_runs(connection, taken)
        except Exception as exc:
            if not taken:
                raise
            # Rolled back: find the delivery that failed, and start the others.
            log.warning("inbox batch failed, starting one by one", error=_summary(exc))
            started = sum(self._start_one(row) for row in taken)
        self.started_runs += started
        return len(taken)

    def _start_runs(self, connection: sa.Connection, rows: list[InboxDelivery]) -> int:
        """Enqueue the rows' runs in the caller's transaction; returns how many."""
        started = 0
        for row in rows:
            try:
                data = stored_delivery(row)
            except (WebhookError, ValueError) as exc:
                # Verified at intake, so a bug or a hand-edited row: keep it, say why.
                error = _summary(exc)
                log.error("inbox delivery unreadable", delivery_id=row.delivery_id, error=error)
                self.inbox.give_up_in(connection, row.delivery_id, error)
                continue
            self.client.start_pipeline_in(
                connection,
                INGEST_PIPELINE,
                data,
                workflow_id=delivery_workflow_id(row.delivery_id),
                queue=INGEST_QUEUE,
            )
            started += 1
        return started

    def _start_one(self, row: InboxDelivery) -> int:
        """Start one row's run alone; on failure count the attempt. Returns runs started."""
        try:
            with self.inbox.transaction() as connection:
                again = self.inbox.take_in(connection, limit=1, only=[row.delivery_id])
                return self._start_runs(connection, again)
        except Exception as exc:
            error = _summary(exc)
        try:
            if row.attempts + 1 >= self.max_attempts:
                log.error("inbox delivery given up", delivery_id=row.delivery_id, error=error)
                with self.inbox.transaction() as connection:
                    self.inbox.take_in(connection, limit=1, only=[row.delivery_id])
                    self.inbox.give_up_in(connection, row.delivery_id, error)
                return 0
            delay = min(2.0**row.attempts, 300.0)
            log.warning(
                "inbox delivery not started, retrying",
                delivery_id=row.delivery_id,
                attempt=row.attempts + 1,
                retry_in_s=delay,
                error=error,
            )
            self.inbox.retry_later(row.delivery_id, error, delay_seconds=delay)
        except Exception as exc:  # the database is down: the row stays due, tried next round
            log.warning("inbox pump cannot record a failure", error=_summary(exc))
        return 0

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            # Cleared before the round: a delivery stored during it wakes the next one at once.
            self._wake.clear()
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
