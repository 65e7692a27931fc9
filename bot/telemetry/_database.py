"""Figures read from the database when Prometheus scrapes: the inbox's backlog, the queues'
waiting runs, the dead letters, and the runs in progress with the age of the oldest.

Each reading is one indexed query (an aggregate over the pending, waiting, failed or running
rows only, never a whole table), under a statement timeout on PostgreSQL, so a scrape stays
fast however long the history grows. A reading that fails is left out and
``specbot_metrics_database_up`` says 0: the other figures still come.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.adapters.durable._run_index import RUNS
from bot.adapters.durable._tables import INBOX
from bot.telemetry._labels import BoundedLabel

log = structlog.get_logger("specbot.telemetry")

# The durable engine's own table, as much of it as the queries read. Its schema is the
# engine's: ``dbos`` on PostgreSQL, none in a SQLite file. Declared here rather than imported,
# so that reading metrics does not import the engine.
_WORKFLOWS = {
    schema: sa.Table(
        "workflow_status",
        sa.MetaData(schema=schema),
        sa.Column("workflow_uuid", sa.Text, primary_key=True),
        sa.Column("status", sa.Text),
        sa.Column("queue_name", sa.Text),
        sa.Column("parent_workflow_id", sa.Text),
        sa.Column("was_forked_from", sa.Boolean),
    )
    for schema in (None, "dbos")
}
# The conditions of the engine's partial indexes over waiting and failed runs, written out as
# literals: SQLite uses a partial index only when the query repeats its condition verbatim
# (a bound parameter does not count), and otherwise scans every run ever recorded.
_IN_FLIGHT = sa.text("status IN ('ENQUEUED', 'PENDING')")
_FAILED = sa.text("status IN ('ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED')")


class DatabaseCollector(Collector):
    """Reads the figures above from the database of ``engine`` at each scrape."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Callable[[], float] = time.time,
        timeout_seconds: float = 2.0,
        label_limit: int = 50,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._timeout_ms = int(timeout_seconds * 1000)
        self._postgres = engine.dialect.name == "postgresql"
        self._workflows = _WORKFLOWS["dbos" if self._postgres else None]
        self._queues = BoundedLabel(label_limit)
        self._flows = BoundedLabel(label_limit)
        # Names seen once are reported as 0 when nothing waits or runs, not left out.
        self._seen_queues: set[str] = set()
        self._seen_flows: set[str] = set()
        self._lock = threading.Lock()
        self._was_up = True

    def describe(self) -> Iterable[Metric]:
        """The families ``collect`` yields, without reading the database."""
        return list(_Families())

    def collect(self) -> Iterable[Metric]:
        """Read the database and yield every family (empty where a reading failed)."""
        families = _Families()
        readings = (self._inbox, self._queue_depths, self._dead_letters, self._running)
        failed = 0
        with self._lock:  # one scrape at a time: the seen names are shared
            for read in readings:
                try:
                    read(families)
                except sa.exc.SQLAlchemyError as exc:
                    failed += 1
                    self._log_failure(read.__name__, exc)
        families.up.add_metric([], 0 if failed else 1)
        self._was_up = not failed
        return list(families)

    def _log_failure(self, reading: str, exc: Exception) -> None:
        # Once when the database stops answering, not at every scrape after.
        if self._was_up:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            log.warning("metrics reading failed", reading=reading.strip("_"), error=first_line)

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as connection:
            if self._postgres:
                with connection.begin():
                    timeout = f"SET LOCAL statement_timeout = {self._timeout_ms}"
                    connection.exec_driver_sql(timeout)
                    yield connection
            else:
                yield connection

    def _inbox(self, families: _Families) -> None:
        query = sa.select(sa.func.count(), sa.func.min(INBOX.c.received_ms)).where(
            INBOX.c.done_ms.is_(None)
        )
        with self._reading() as connection:
            pending, oldest_ms = connection.execute(query).one()
        families.inbox_pending.add_metric([], int(pending))
        families.inbox_age.add_metric([], self._age_seconds(oldest_ms))

    def _queue_depths(self, families: _Families) -> None:
        workflows = self._workflows
        query = (
            sa.select(workflows.c.queue_name, sa.func.count())
            .where(_IN_FLIGHT, workflows.c.status == "ENQUEUED")
            .group_by(workflows.c.queue_name)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        depths = dict.fromkeys(self._seen_queues, 0)
        for queue, count in rows:
            name = self._queues(queue)
            depths[name] = depths.get(name, 0) + int(count)
        self._seen_queues.update(depths)
        for name, depth in sorted(depths.items()):
            families.queue_depth.add_metric([name], depth)

    def _dead_letters(self, families: _Families) -> None:
        # What ``specbot runs dead-letters`` lists: failed top-level runs not retried yet.
        workflows = self._workflows
        query = sa.select(sa.func.count()).where(
            _FAILED,
            workflows.c.status == "ERROR",
            workflows.c.parent_workflow_id.is_(None),
            workflows.c.was_forked_from == sa.false(),
        )
        with self._reading() as connection:
            count = connection.execute(query).scalar_one()
        families.dead_letters.add_metric([], int(count))

    def _running(self, families: _Families) -> None:
        query = (
            sa.select(RUNS.c.flow, sa.func.count(), sa.func.min(RUNS.c.started_ms))
            .where(RUNS.c.state == "running", RUNS.c.parent.is_(None))
            .group_by(RUNS.c.flow)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        running = dict.fromkeys(self._seen_flows, 0)
        oldest: int | None = None
        for flow, count, started_ms in rows:
            name = self._flows(flow)
            running[name] = running.get(name, 0) + int(count)
            if started_ms is not None and (oldest is None or started_ms < oldest):
                oldest = int(started_ms)
        self._seen_flows.update(running)
        for name, count in sorted(running.items()):
            families.runs_running.add_metric([name], count)
        families.oldest_run_age.add_metric([], self._age_seconds(oldest))

    def _age_seconds(self, since_ms: int | None) -> float:
        """Seconds from ``since_ms`` to now; 0 for nothing (no backlog, nothing running)."""
        if since_ms is None:
            return 0.0
        return max(0.0, self._clock() - int(since_ms) / 1000)


class _Families:
    """The families one scrape fills."""

    def __init__(self) -> None:
        self.inbox_pending = GaugeMetricFamily(
            "specbot_inbox_pending_deliveries",
            "Stored webhook deliveries whose run is not started yet.",
        )
        self.inbox_age = GaugeMetricFamily(
            "specbot_inbox_oldest_pending_age_seconds",
            "Age of the oldest delivery whose run is not started yet (0: none waits).",
        )
        self.queue_depth = GaugeMetricFamily(
            "specbot_queue_waiting_runs",
            "Runs enqueued and not started yet, by queue.",
            labels=["queue"],
        )
        self.dead_letters = GaugeMetricFamily(
            "specbot_dead_letters",
            "Top-level runs that failed for good and were not retried yet.",
        )
        self.runs_running = GaugeMetricFamily(
            "specbot_runs_in_progress",
            "Top-level runs the run index shows running, by flow.",
            labels=["flow"],
        )
        self.oldest_run_age = GaugeMetricFamily(
            "specbot_runs_oldest_running_age_seconds",
            "How long the longest-running top-level run has been running (0: none runs).",
        )
        self.up = GaugeMetricFamily(
            "specbot_metrics_database_up",
            "1 when every database reading of this scrape worked, else 0.",
        )

    def __iter__(self) -> Iterator[GaugeMetricFamily]:
        return iter(
            (
                self.inbox_pending,
                self.inbox_age,
                self.queue_depth,
                self.dead_letters,
                self.runs_running,
                self.oldest_run_age,
                self.up,
            )
        )
