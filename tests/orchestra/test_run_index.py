"""The run index: each pipeline run's row from start to end, and the list's paging."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from bot.adapters.durable import RunFailedError, RunIndex, RunQuery, Usage
from bot.adapters.durable._tables import create_engine, create_tables
from bot.orchestra import Catalog, Pipeline, Stage, StageContext
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger


def _kinds(engine: object, run_id: str) -> list[tuple[str, str]]:
    events = engine.events.run_events([run_id])  # type: ignore[attr-defined]
    return [(event.event_type, event.payload["stage"]) for _, event in events]


def test_a_finished_run_has_its_row_and_stage_events(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Four stages: a started and finished event each; the row ends succeeded at the last."""
    engine = start_engine(flows.catalog)
    data = {"text": "add login", "repo": "Acme/Widgets", "issue": 7}
    run = engine.start_pipeline("four-stages", data, workflow_id="spec:Acme/Widgets#7:abc")
    engine.result(run, timeout=30)
    row = engine.index.get(run)
    assert row is not None
    assert (row.flow, row.repository, row.number) == ("four-stages", "Acme/Widgets", 7)
    assert (row.state, row.stage, row.parent) == ("succeeded", "publish", None)
    assert row.seconds is not None and row.seconds >= 0
    expected = []
    for stage in ("plan", "implement", "check", "publish"):
        expected += [("stage.started", stage), ("stage.finished", stage)]
    assert _kinds(engine, run) == expected


def test_a_failed_run_says_why_and_its_stage_failed(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A stage failing past its retries: the row is failed with the reason."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="run-f")
    with pytest.raises(RunFailedError):
        engine.result(run, timeout=30)
    row = engine.index.get(run)
    assert row is not None and row.state == "failed"
    assert "tests failed: 2 of 7" in row.outcome
    assert ("stage.failed", "check") in _kinds(engine, run)
    assert ("stage.finished", "check") not in _kinds(engine, run)


def test_a_cancelled_run_and_its_child_are_cancelled(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Cancelling a parent: both rows end cancelled, the child listed under its parent."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline(
        "review-then-publish", {"text": "x"}, workflow_id="parent", queue=None
    )
    ledger.wait_for("slow-start", "parent/review")
    engine.cancel(run)
    [child] = engine.index.children("parent")
    assert child.run_id == "parent/review" and child.parent == "parent"
    ledger.wait_for("slow-end", "parent/review")

    listed = engine.index.page(RunQuery()).rows
    assert [(row.run_id, row.state) for row in listed] == [("parent", "cancelled")]
    # The child's stage finished its work after the cancellation: the row stays cancelled.
    ledger.wait_for("slow-end", "parent/review")
    assert engine.index.get("parent/review").state == "cancelled"  # type: ignore[union-attr]


def test_a_run_left_running_is_corrected_from_the_engine(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A row a killed worker left running shows the engine's final status when read."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline("four-stages", {"text": "x"}, workflow_id="run-k")
    engine.result(run, timeout=30)
    engine.index.started("run-k", "four-stages", {})  # as if the end was never recorded
    engine.index.started("run-gone", "four-stages", {})
    statuses = {"run-k": engine.status("run-k"), "run-gone": "PENDING"}
    fixed = engine.index.reconcile(engine.index.page(RunQuery()).rows, statuses.__getitem__)
    assert {row.run_id: row.state for row in fixed} == {"run-k": "succeeded", "run-gone": "running"}


def _fill(index: RunIndex, count: int) -> None:
    for number in range(count):
        repo = "acme/one" if number % 2 else "acme/two"
        index.started(f"run-{number:04d}", "spec", {"repo": repo, "issue": number + 1})
        index.finished(f"run-{number:04d}", "succeeded", "ok", Usage(0.5, 10, 2, 1))


def _pages(index: RunIndex, query: RunQuery) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = index.page(RunQuery(**{**query.__dict__, "before": cursor}))
        seen += [row.run_id for row in page.rows]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_paging_visits_every_run_once_newest_first(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Keyset paging over runs started in the same millisecond neither skips nor repeats."""
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    tables = create_engine(url)
    create_tables(tables)
    index = RunIndex(tables)
    _fill(index, 230)
    with tables.begin() as connection:  # many runs in one millisecond: the id breaks the tie
        connection.execute(sa.text("UPDATE specbot_runs SET started_ms = 1000"))
    everything = _pages(index, RunQuery(limit=50))
    assert len(everything) == len(set(everything)) == 230
    assert everything == sorted(everything, reverse=True)
    one = _pages(index, RunQuery(repository="ACME/ONE", limit=17))
    assert len(one) == 115
    assert {row.repository for row in index.page(RunQuery(repository="acme/one")).rows} == {
        "acme/one"
    }
    hidden = index.page(RunQuery(repositories=frozenset({"acme/two"}), repository="acme/one"))
    assert hidden.rows == []
    assert index.counts() == [("spec", "succeeded", 230)]
    tables.dispose()


def test_a_forged_cursor_is_refused(sqlite_url: str) -> None:
    """A cursor this index did not make is an error, not a silent first page."""
    tables = create_engine(sqlite_url)
    create_tables(tables)
    index = RunIndex(tables)
    _fill(index, 3)
    for forged in ("nonsense", "12:", "-5:run-1", "1 OR 1=1:x", "9" * 30 + ":x", "²:x"):
        with pytest.raises(ValueError, match="cursor"):
            index.page(RunQuery(before=forged))
    assert len(index.page(RunQuery(before="99999999999999:zzz")).rows) == 3
    tables.dispose()


def test_a_state_outside_the_list_is_refused(sqlite_url: str) -> None:
    """Only the known states are written."""
    tables = create_engine(sqlite_url)
    create_tables(tables)
    index = RunIndex(tables)
    index.started("r", "spec", {})
    with pytest.raises(ValueError, match="not a run state"):
        index.finished("r", "exploded", "", Usage())
    tables.dispose()


CANARY = "sk-canary-7f3a9c1e5b2d4f60"


def _leaky(context: StageContext, spec: BaseModel) -> BaseModel:
    raise RuntimeError(f"the proxy refused x-api-key {CANARY}")


def test_a_failure_quoting_a_secret_is_recorded_redacted(start_engine: StartEngine) -> None:
    """The failure reason in the stage event and the run's outcome (both on the dashboard)
    never hold a secret the exception quoted."""
    catalog = Catalog().add(
        *flows.FAST_QUEUES, Pipeline("leaky", [Stage("leak", flows.Spec, flows.Spec, _leaky)])
    )
    engine = start_engine(catalog, secrets=(CANARY,))
    run = engine.start_pipeline("leaky", {"text": "x"}, workflow_id="run-leak")
    with pytest.raises(RunFailedError):
        engine.result(run, timeout=30)
    row = engine.index.get(run)
    assert row is not None and row.state == "failed" and "proxy refused" in row.outcome
    assert CANARY not in row.outcome
    [reason] = [p["reason"] for p in engine.events.payloads([run], "stage.failed")]
    assert "proxy refused" in reason and CANARY not in reason
