"""Fixtures of the orchestration tests: real SQLite files, a real PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.adapters.durable import Engine, EngineSettings
from bot.orchestra import Catalog
from tests.orchestra.ledger import LEDGER_ENV, Ledger
from tests.orchestra.workers import WorkerProcess

POSTGRES_ENV = "SPECBOT_TEST_POSTGRES_URL"


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """A side-effect ledger, also visible to worker subprocesses through the environment."""
    path = tmp_path / "ledger.sqlite"
    monkeypatch.setenv(LEDGER_ENV, str(path))
    return Ledger(path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh engine database file."""
    return f"sqlite:///{tmp_path / 'engine.sqlite'}"


StartEngine = Callable[..., Engine]


@pytest.fixture
def start_engine(sqlite_url: str) -> Iterator[StartEngine]:
    """Launch an engine in this process (one at a time, as DBOS allows) and shut it down after."""
    launched: list[Engine] = []

    def start(catalog: Catalog, *, url: str | None = None, **overrides: object) -> Engine:
        for engine in launched:
            engine.shutdown()
        launched.clear()
        settings = EngineSettings(
            database_url=url or sqlite_url,
            application_version="test",
            executor_id=str(overrides.pop("executor_id", "test-worker")),
            **overrides,  # type: ignore[arg-type]
        )
        engine = Engine(settings, catalog)
        engine.launch()
        launched.append(engine)
        return engine

    yield start
    for engine in launched:
        engine.shutdown()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the server CI starts; skipped locally without one."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_ENV} is not set: CI must run the PostgreSQL tests")
        pytest.skip(f"{POSTGRES_ENV} is not set (a PostgreSQL server for these tests)")
    import sqlalchemy as sa

    from bot.adapters.durable._tables import sqlalchemy_url

    name = f"specbot_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    head, _, _ = base.rpartition("/")
    yield f"{head}/{name}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SpawnWorker = Callable[..., WorkerProcess]


@pytest.fixture
def spawn_worker() -> Iterator[SpawnWorker]:
    """Start ``specbot worker`` subprocesses; any still running after the test is killed."""
    spawned: list[WorkerProcess] = []

    def spawn(url: str, executor_id: str, **options: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(url, executor_id, **options)
        spawned.append(worker)
        return worker

    yield spawn
    for worker in spawned:
        worker.kill()
