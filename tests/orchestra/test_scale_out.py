"""Several worker processes on one database: takeover of a dead worker, shared limited queues."""

from __future__ import annotations

from collections import defaultdict

import pytest

from bot.adapters.durable import EngineClient, EngineSettings
from tests.orchestra.conftest import SpawnWorker
from tests.orchestra.ledger import Ledger

FAST_BEATS: dict[str, str] = {"heartbeat": "0.2", "dead_after": "1.0"}  # 5 beats


def _client(url: str) -> EngineClient:
    return EngineClient(
        EngineSettings(database_url=url, application_version="test", executor_id="client")
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "replacement", ["a", "b"], ids=["same-worker-restarts", "another-worker-takes-over"]
)
def test_a_run_survives_its_worker(
    spawn_worker: SpawnWorker, sqlite_url: str, ledger: Ledger, replacement: str
) -> None:
    """A worker SIGKILLed mid-stage is restarted, or stays dead and another worker takes its
    runs over; either way the same run finishes with every stage's effect once."""
    first = spawn_worker(sqlite_url, "a", env={"SPECBOT_TEST_BLOCK": "1"}, flags=FAST_BEATS)
    first.wait_ready()
    with _client(sqlite_url) as client:
        run = client.start_pipeline("four-stages", {"text": "x"}, workflow_id="taken-over")
        ledger.wait_for("attempt", "taken-over:plan")
        first.kill()
        assert ledger.count("effect") == 0
        second = spawn_worker(sqlite_url, replacement, flags=FAST_BEATS).wait_ready()
        result = client.result(run, timeout=60)
    assert second.stop() == 0
    assert result == {"url": "https://example.test/pr/2"}
    for stage in ("plan", "implement", "check", "publish"):
        assert ledger.count("effect", f"taken-over:{stage}") == 1, stage
    finishers = {who for _, who, _ in ledger.rows("attempt")}
    assert replacement in finishers, "the replacement worker finished the run"


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_on_postgres_share_a_queue_within_its_limits(
    postgres_url: str, spawn_worker: SpawnWorker, ledger: Ledger
) -> None:
    """Two workers take runs off one partitioned queue: both work, never two runs of one
    repository at once, and runs of different repositories overlap."""
    env = {"SPECBOT_TEST_HOLD_SECONDS": "0.4"}
    workers = [spawn_worker(postgres_url, name, env=env) for name in ("pg-1", "pg-2")]
    for worker in workers:
        worker.wait_ready()
    with _client(postgres_url) as client:
        runs = []
        for index in range(8):
            repo = "acme/a" if index % 2 else "acme/b"
            run_id = f"held-{repo}-{index}"
            runs.append(run_id)
            client.start_pipeline(
                "hold", {"text": repo}, workflow_id=run_id, queue="held", partition=repo
            )
        for run in runs:
            client.result(run, timeout=60)
    assert all(worker.stop() == 0 for worker in workers)
    starts = {key: (who, at) for key, who, at in ledger.rows("start")}
    ends = {key: at for key, _, at in ledger.rows("end")}
    assert len(starts) == 8 and len(ends) == 8
    assert {who for who, _ in starts.values()} == {"pg-1", "pg-2"}
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, (_, at) in starts.items():
        repo = "acme/a" if "acme/a" in key else "acme/b"
        spans[repo].append((at, ends[key]))
    for repo, intervals in spans.items():
        intervals.sort()
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            assert start >= end - 0.01, f"two runs of {repo} overlapped"
    all_intervals = sorted(i for intervals in spans.values() for i in intervals)
    overlapping = any(
        b_start < a_end
        for (_, a_end), (b_start, _) in zip(all_intervals, all_intervals[1:], strict=False)
    )
    assert overlapping, "runs of different repositories never ran at the same time"


@pytest.mark.postgres
@pytest.mark.slow
def test_dead_worker_runs_are_taken_over_on_postgres(
    postgres_url: str, spawn_worker: SpawnWorker, ledger: Ledger
) -> None:
    """On PostgreSQL too, a worker that dies for good has its pipeline finished by another."""
    first = spawn_worker(postgres_url, "pg-dead", env={"SPECBOT_TEST_BLOCK": "1"}, flags=FAST_BEATS)
    first.wait_ready()
    with _client(postgres_url) as client:
        run = client.start_pipeline("four-stages", {"text": "x"}, workflow_id="pg-run")
        ledger.wait_for("attempt", "pg-run:plan")
        first.kill()
        second = spawn_worker(postgres_url, "pg-alive", flags=FAST_BEATS).wait_ready()
        assert client.result(run, timeout=60) == {"url": "https://example.test/pr/2"}
        assert client.steps(run) == [
            "stage:0:plan",
            "stage:1:implement",
            "stage:2:check",
            "stage:3:publish",
        ]
    assert second.stop() == 0
    assert ledger.count("attempt", "pg-run:plan") == 2
    assert ledger.count("attempt", "pg-run:implement") == 1
    for stage in ("plan", "implement", "check", "publish"):
        assert ledger.count("effect", f"pg-run:{stage}") == 1
