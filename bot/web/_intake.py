"""The request path's writer: one thread that stores verified deliveries, many per commit.

Requests hand their delivery to the writer and await its answer; the writer takes whatever
has queued up since its last commit and stores it in one transaction (group commit). At a
few deliveries per second every commit holds one row, as before; under a burst one commit
(one fsync, one turn on SQLite's write lock) serves every request that arrived meanwhile,
so the cost per delivery falls as the rate rises instead of queueing behind the disk. Each
request still gets its 202 only after the commit that holds its row.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import structlog

from bot.adapters.durable import Inbox, Received

# The most rows one commit takes: a bound on how long one transaction holds the write lock.
MAX_BATCH = 200
# How often the log is checkpointed, off the request path (SQLite; see ``inbox_engine``).
CHECKPOINT_SECONDS = 1.0

log = structlog.get_logger("specbot.web")

_Pending = tuple[Received, "Future[bool]"]


class IntakeWriter:
    """Stores deliveries on its own thread; ``submit`` returns a future of "newly stored"."""

    def __init__(self, inbox: Inbox, *, on_stored: Callable[[], None] | None = None) -> None:
        self._inbox = inbox
        self._on_stored = on_stored
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._checkpoints: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Start the writer thread, and the checkpoint thread on SQLite."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="specbot-intake", daemon=True)
        self._thread.start()
        if self._inbox.engine.dialect.name == "sqlite":
            self._checkpoints = threading.Thread(
                target=self._checkpoint, name="specbot-checkpoint", daemon=True
            )
            self._checkpoints.start()

    def stop(self) -> None:
        """Store what was submitted, then end the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None
        self._stop.set()
        if self._checkpoints is not None:
            self._checkpoints.join(timeout=30)
            self._checkpoints = None
        self._checkpoint_once()

    def submit(self, delivery: Received) -> Future[bool]:
        """Queue ``delivery``; the future is True once stored, False for a known id."""
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        future: Future[bool] = Future()
        self._queue.put((delivery, future))
        return future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._write(batch)
            if stopping:
                return

    def _checkpoint(self) -> None:
        while not self._stop.wait(CHECKPOINT_SECONDS):
            self._checkpoint_once()

    def _checkpoint_once(self) -> None:
        try:
            self._inbox.checkpoint()
        except Exception as exc:  # the next one tries again; the log only grows meanwhile
            log.warning("checkpoint failed", error=f"{type(exc).__name__}: {exc}"[:300])

    def _write(self, batch: list[_Pending]) -> None:
        try:
            stored = self._inbox.put_many([delivery for delivery, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            # One bad row must not fail the others: store them one by one.
            for item in batch:
                self._write([item])
            return
        for (_, future), new in zip(batch, stored, strict=True):
            future.set_result(new)
        if self._on_stored is not None and any(stored):
            self._on_stored()
