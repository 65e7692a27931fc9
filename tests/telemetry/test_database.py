"""The database collector against real databases holding real runs, deliveries and rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from structlog.testing import capture_logs

from bot.adapters.durable import (
    Engine,
    EngineClient,
    EngineSettings,
    Inbox,
    RunFailedError,
    Usage,
    inbox_engine,
)
from bot.orchestra import Catalog, Pipeline, Stage, StageContext
from bot.telemetry import DatabaseCollector, Metrics, metrics_registry
from tests.orchestra.conftest import postgres_url  # noqa: F401  (a fixture)
from tests.telemetry.exposition import matching, scrape, value

FIXED = threading.Event()  # the cause of the fragile run's failure is gone


class Job(BaseModel):
    text: str


def work(context: StageContext, job: BaseModel) -> Job:
    """Fails until ``FIXED`` is set."""
    assert isinstance(job, Job)
    if not FIXED.is_set():
        raise RuntimeError("the repository is gone")
    return job


CATALOG = Catalog().add(Pipeline("fragile", [Stage("work", Job, Job, work)]))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'engine.sqlite'}"


@pytest.fixture
def launched() -> Iterator[list[Engine]]:
    """Engines the test launches, shut down after it (DBOS allows one at a time)."""
    engines: list[Engine] = []
    FIXED.clear()
    yield engines
    for engine in engines:
        engine.shutdown()


def _collector_of(url: str, *, clock: float) -> tuple[DatabaseCollector, sa.Engine]:
    pool = inbox_engine(url)
    return DatabaseCollector(pool, clock=lambda: clock), pool


def _fill_and_read(url: str, launched: list[Engine]) -> None:
    """A dead letter, waiting runs on two queues, running runs, pending deliveries: read."""
    settings = EngineSettings(url, "test", "metrics-test")
    engine = Engine(settings, CATALOG)
    engine.launch()
    launched.append(engine)
    run = engine.start_pipeline("fragile", {"text": "x"}, workflow_id="fragile-1", queue=None)
    with pytest.raises(RunFailedError):
        engine.result(run, timeout=30)
    with EngineClient(settings) as client:  # queues no worker serves: the runs wait
        for workflow_id, queue in (("w1", "unserved-a"), ("w2", "unserved-a"), ("w3", "b")):
            client.enqueue("nothing", queue, workflow_id=workflow_id)
    index = engine.index
    index.started("spec:acme/w#1:abc", "spec", {"repo": "acme/w", "issue": 1})
    index.started("review:acme/w#2@f00", "review", {"repo": "acme/w", "pull": 2})
    index.started("spec:acme/w#1:abc/implement", "implement", {}, parent="spec:acme/w#1:abc")
    inbox = Inbox(inbox_engine(url))
    try:
        inbox.put("d-1", "issues", "application/json", b"{}")
        inbox.put("d-2", "issues", "application/json", b"{}")
        with inbox.transaction() as connection:
            taken = inbox.take_in(connection, limit=1, only=["d-1"])
            assert [delivery.delivery_id for delivery in taken] == ["d-1"]
        [waiting] = inbox.entries(pending_only=True)
    finally:
        inbox.dispose()
    oldest = index.get("spec:acme/w#1:abc")
    assert oldest is not None
    now = oldest.started_ms / 1000 + 3600.5
    collector, pool = _collector_of(url, clock=now)
    try:
        samples = scrape(metrics_registry(collector, metrics=Metrics()))
        assert value(samples, "specbot_dead_letters") == len(engine.dead_letters()) == 1
        assert matching(samples, "specbot_queue_waiting_runs") == {
            (("queue", "b"),): 1,
            (("queue", "unserved-a"),): 2,
        }
        assert matching(samples, "specbot_runs_in_progress") == {
            (("flow", "review"),): 1,
            (("flow", "spec"),): 1,
        }
        assert value(samples, "specbot_runs_oldest_running_age_seconds") == pytest.approx(
            now - oldest.started_ms / 1000
        )
        assert value(samples, "specbot_inbox_pending_deliveries") == 1
        assert value(samples, "specbot_inbox_oldest_pending_age_seconds") == pytest.approx(
            now - waiting.received_ms / 1000
        )
        assert value(samples, "specbot_metrics_database_up") == 1

        # Retried once its cause is gone, the dead letter leaves the count; ended runs leave
        # the running ones, and the flows seen stay, at 0.
        FIXED.set()
        engine.result(engine.retry("fragile-1"), timeout=30)
        index.finished("review:acme/w#2@f00", "succeeded", "done", Usage())
        samples = scrape(metrics_registry(collector, metrics=Metrics()))
        assert value(samples, "specbot_dead_letters") == len(engine.dead_letters()) == 0
        assert matching(samples, "specbot_runs_in_progress") == {
            (("flow", "review"),): 0,
            (("flow", "spec"),): 1,
        }
    finally:
        pool.dispose()


def test_figures_on_sqlite(sqlite_url: str, launched: list[Engine]) -> None:
    """Every figure matches what the SQLite database holds, and follows it."""
    _fill_and_read(sqlite_url, launched)


@pytest.mark.postgres
def test_figures_on_postgres(postgres_url: str, launched: list[Engine]) -> None:  # noqa: F811
    """The same on PostgreSQL, where the engine's tables live in their own schema."""
    _fill_and_read(postgres_url, launched)


def test_each_reading_uses_an_index(sqlite_url: str, launched: list[Engine]) -> None:
    """No reading scans a whole table: each one's plan searches or walks an index."""
    engine = Engine(EngineSettings(sqlite_url, "test", "metrics-test"), CATALOG)
    engine.launch()
    launched.append(engine)
    collector, pool = _collector_of(sqlite_url, clock=0.0)
    statements: list[tuple[str, object]] = []

    @sa.event.listens_for(pool, "before_cursor_execute")
    def keep(conn: object, cursor: object, statement: str, parameters: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    try:
        scrape(metrics_registry(collector, metrics=Metrics()))
        assert len(statements) == 4
        with pool.connect() as connection:
            for statement, parameters in statements:
                explain = f"EXPLAIN QUERY PLAN {statement}"
                plan = connection.exec_driver_sql(explain, parameters).all()  # type: ignore[arg-type]
                steps = [str(row[-1]) for row in plan]
                scans = [s for s in steps if s.startswith("SCAN") and "INDEX" not in s]
                assert not scans, (statement, steps)
    finally:
        pool.dispose()


def test_an_unreadable_database_reports_down_once(tmp_path: Path) -> None:
    """Without specbot's tables the readings fail: ``up`` is 0, the figures are left out, the
    scrape still answers, and the failure is logged when it starts, not at every scrape."""
    collector, pool = _collector_of(f"sqlite:///{tmp_path / 'empty.sqlite'}", clock=0.0)
    registry = metrics_registry(collector, metrics=Metrics())
    try:
        with capture_logs() as first:
            samples = scrape(registry)
        with capture_logs() as second:
            again = scrape(registry)
    finally:
        pool.dispose()
    assert value(samples, "specbot_metrics_database_up") == 0
    assert value(again, "specbot_metrics_database_up") == 0
    assert [s.name for s in samples if s.name != "specbot_metrics_database_up"] == []
    readings = sorted(
        line["reading"] for line in first if line["event"] == "metrics reading failed"
    )
    assert readings == ["dead_letters", "inbox", "queue_depths", "running"]
    assert second == []
