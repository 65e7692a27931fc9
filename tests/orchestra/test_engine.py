"""The engine adapter's lifecycle: the worker command, the FastAPI lifespan, the catalog."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.adapters.durable import (
    Engine,
    EngineClient,
    EngineSettings,
    RunFailedError,
    WorkerRoster,
)
from bot.adapters.durable._tables import create_engine, create_tables
from bot.cli.worker import load_catalog
from bot.orchestra import Catalog, Pipeline, QueueSpec, Subscription, UnknownPatternError
from tests.conftest import RunSpecbot
from tests.orchestra import flows
from tests.orchestra.conftest import SpawnWorker, StartEngine
from tests.orchestra.ledger import Ledger


def test_worker_stops_cleanly_on_sigterm_and_leaves_the_roster(
    spawn_worker: SpawnWorker, sqlite_url: str, ledger: Ledger
) -> None:
    """SIGTERM makes the worker exit 0 and take itself off the list of live workers."""
    worker = spawn_worker(sqlite_url, "polite").wait_ready()
    roster = WorkerRoster(create_engine(sqlite_url))
    assert roster.live() == ["polite"]
    assert worker.stop() == 0
    assert "specbot worker polite stopped" in "".join(worker.output)
    assert roster.live() == []


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no.such.module:catalog", "cannot import"),
        ("tests.orchestra.flows:STAGES", "STAGES is not a Catalog"),
        ("tests.orchestra.flows", "expected MODULE:ATTRIBUTE"),
    ],
)
def test_bad_catalog_references_are_refused(reference: str, message: str) -> None:
    """A catalog reference that does not lead to a Catalog raises ValueError saying why."""
    with pytest.raises(ValueError, match=message):
        load_catalog([reference])


def test_worker_command_reports_a_bad_catalog_in_one_line(
    run_specbot: RunSpecbot, sqlite_url: str
) -> None:
    """The worker command turns a bad catalog into one line on stderr and exit 2."""
    result = run_specbot(
        "worker",
        "--catalog",
        "tests.orchestra.flows:STAGES",
        env={"SPECBOT_DATABASE_URL": sqlite_url},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "specbot worker: --catalog 'tests.orchestra.flows:STAGES': STAGES is not a Catalog"
    ]
    hasty = run_specbot("worker", "--heartbeat", "1", "--dead-after", "2")
    assert hasty.returncode == 2
    assert "--dead-after must be at least 3 x --heartbeat" in hasty.stderr


def test_fastapi_lifespan_launches_and_stops_the_engine(sqlite_url: str, ledger: Ledger) -> None:
    """An app with the engine's lifespan can start runs from its handlers and shuts down cleanly."""
    engine = Engine(EngineSettings(sqlite_url, "test", "web"), flows.catalog)
    app = FastAPI(lifespan=engine.lifespan)

    @app.post("/runs/{run_id}")
    def start(run_id: str) -> dict[str, object]:
        # A plain def: FastAPI runs it in a thread, where the engine's blocking API is allowed.
        engine.start_pipeline("four-stages", {"text": run_id}, workflow_id=run_id)
        return {"run": run_id, "result": engine.result(run_id, timeout=30)}

    with TestClient(app) as client:
        response = client.post("/runs/web-1")
        assert response.status_code == 200
        assert response.json()["result"] == {"url": "https://example.test/pr/2"}
    assert WorkerRoster(create_engine(sqlite_url)).live() == []
    assert ledger.count("effect") == 4


def test_catalog_lookups_name_what_is_missing() -> None:
    """Unknown names raise UnknownPatternError naming the kind; names may not repeat."""
    catalog = Catalog()
    with pytest.raises(UnknownPatternError, match="no pipeline named 'ghost'"):
        catalog.pipeline("ghost")
    pipeline = Pipeline("p", [flows.STAGES[0]])
    catalog.add(pipeline)
    with pytest.raises(ValueError, match="already registered"):
        catalog.add(pipeline)
    catalog.add(QueueSpec(name="pipelines", global_concurrency=1))
    assert catalog.queue("pipelines").global_concurrency == 1
    catalog.add(Subscription("audit", ("#",), lambda event: []))
    assert catalog.queue("events.audit").rate_limit is None
    with pytest.raises(ValueError, match="bad subscriber name"):
        Subscription("a b", ("#",), lambda event: [])


def test_runs_list_shows_runs_newest_first_with_filters(
    run_specbot: RunSpecbot, start_engine: StartEngine, sqlite_url: str, ledger: Ledger
) -> None:
    """`specbot runs list`: every top-level run newest first; --status, --prefix and --limit
    narrow it; --json for tools; a status that does not exist is a usage error."""
    engine = start_engine(flows.catalog)
    ok = engine.start_pipeline("four-stages", {"text": "fine"}, workflow_id="list:ok")
    engine.result(ok, timeout=30)
    failed = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="other:bad")
    with pytest.raises(RunFailedError):
        engine.result(failed, timeout=30)
    env = {"SPECBOT_DATABASE_URL": sqlite_url, "SPECBOT_APP_VERSION": "test"}
    listed = run_specbot("runs", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    ids = [line.split()[2] for line in listed.stdout.splitlines()]
    assert ids == ["other:bad", "list:ok"]
    assert " ERROR " in listed.stdout.splitlines()[0]
    errors = run_specbot("runs", "list", "--status", "error", env=env)
    assert [line.split()[2] for line in errors.stdout.splitlines()] == ["other:bad"]
    prefixed = run_specbot("runs", "list", "--prefix", "list:", "--json", env=env)
    assert [(r["workflow_id"], r["status"]) for r in json.loads(prefixed.stdout)] == [
        ("list:ok", "SUCCESS")
    ]
    one = run_specbot("runs", "list", "--limit", "1", env=env)
    assert len(one.stdout.splitlines()) == 1
    none = run_specbot("runs", "list", "--prefix", "nothing:", env=env)
    assert none.stdout.strip() == "no run matches"
    bad = run_specbot("runs", "list", "--status", "DONE; DROP TABLE", env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "is not a status" in bad.stderr


def test_runs_command_lists_and_retries_dead_letters(
    run_specbot: RunSpecbot, start_engine: StartEngine, sqlite_url: str, ledger: Ledger
) -> None:
    """`specbot runs` lists a failed run with its step and reason, retries it, and cancels."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="cli-dl")
    with pytest.raises(RunFailedError):
        engine.result(run, timeout=30)
    env = {"SPECBOT_DATABASE_URL": sqlite_url, "SPECBOT_APP_VERSION": "test"}
    listed = run_specbot("runs", "dead-letters", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("cli-dl  [stage:2:check]  stage 'check' of pipeline")
    ledger.record("fixed", "cli-dl")
    retried = run_specbot("runs", "retry", "cli-dl", env=env)
    assert retried.returncode == 0, retried.stderr
    assert engine.result(retried.stdout.strip(), timeout=30) == {"url": "https://example.test/pr/2"}
    assert run_specbot("runs", "dead-letters", env=env).stdout.strip() == "no dead letters"
    again = run_specbot("runs", "retry", "cli-dl", env=env)
    assert again.returncode == 2 and "not in the dead-letter list" in again.stderr
    assert run_specbot("runs", "cancel", "nope", env=env).returncode == 2


def test_sigterm_mid_step_exits_after_the_drain_and_the_run_resumes(
    spawn_worker: SpawnWorker, sqlite_url: str, ledger: Ledger
) -> None:
    """A worker stopped inside a long step waits out its drain, exits 0 without leaving the
    roster, and on restart finishes the run with the step's effect done once."""
    block = {"SPECBOT_TEST_BLOCK": "1"}
    worker = spawn_worker(sqlite_url, "busy", env=block, flags={"drain": "0.5"}).wait_ready()
    with EngineClient(EngineSettings(sqlite_url, "test", "client")) as client:
        run = client.start_pipeline("four-stages", {"text": "x"}, workflow_id="drained")
        ledger.wait_for("attempt", "drained:plan")
        assert worker.stop() == 0
        assert "1 unfinished run(s) left for recovery" in "".join(worker.output)
        assert WorkerRoster(create_engine(sqlite_url)).live() == ["busy"]
        restarted = spawn_worker(sqlite_url, "busy").wait_ready()
        assert client.result(run, timeout=60) == {"url": "https://example.test/pr/2"}
    assert restarted.stop() == 0
    assert ledger.count("effect", "drained:plan") == 1


def test_a_dead_worker_is_claimed_by_one_live_worker_only(sqlite_url: str) -> None:
    """Only the first claim of a silent worker succeeds; a live worker is never claimed, and a
    released claim can be claimed again."""
    create_tables(create_engine(sqlite_url))
    roster = WorkerRoster(create_engine(sqlite_url))
    roster.beat("alive", "v1")
    roster.release("gone", "v1")
    assert roster.claim_dead(30, me="b") == ["gone"]
    assert roster.claim_dead(30, me="c") == []
    assert roster.live() == ["alive"]
    roster.release("gone", "v1")
    assert roster.claim_dead(30, me="alive") == ["gone"]
    assert roster.claim_dead(0.0001, me="alive") == []
