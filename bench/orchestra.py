"""Benchmark of the durable engine: workflows/s for a 3-step pipeline and overhead per step.

Run from the repository root:

    python bench/orchestra.py                     # SQLite only
    SPECBOT_BENCH_POSTGRES_URL=postgresql://user@127.0.0.1:5432/db python bench/orchestra.py

Throughput: N worker processes (``specbot worker``) serve one queue; this process enqueues
``--runs`` pipelines of three trivial stages and times the first enqueue to the last result.
Overhead: one in-process run of a ``--steps``-stage pipeline of trivial stages, minus the same
stage functions called directly, divided by the number of stages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402

from bot.orchestra import Catalog, Pipeline, QueueSpec, Stage, StageContext  # noqa: E402


class Counter(BaseModel):
    """The data a benchmark stage hands on."""

    value: int


def bump(context: StageContext, data: BaseModel) -> Counter:
    """A trivial stage: add one."""
    assert isinstance(data, Counter)
    return Counter(value=data.value + 1)


STEPS_FOR_OVERHEAD = 50

catalog = Catalog().add(
    QueueSpec(name="bench", polling_interval_seconds=0.05),
    Pipeline("three-steps", [Stage(f"s{i}", Counter, Counter, bump) for i in range(3)], "bench"),
    Pipeline(
        "many-steps",
        [Stage(f"s{i}", Counter, Counter, bump) for i in range(STEPS_FOR_OVERHEAD)],
        "bench",
    ),
)


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new empty database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite"
        return
    import sqlalchemy as sa

    base = os.environ["SPECBOT_BENCH_POSTGRES_URL"]
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_workers(url: str, count: int) -> list[subprocess.Popen[str]]:
    """``count`` worker processes serving this module's catalog, once they say they are ready."""
    workers = []
    for index in range(count):
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SPECBOT_DATABASE_URL": url,
            "SPECBOT_EXECUTOR_ID": f"bench-{index}",
            "SPECBOT_APP_VERSION": "bench",
        }
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot", "worker", "--catalog", "bench.orchestra:catalog"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
            )
        )
    for worker in workers:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        if " ready " not in line:
            raise RuntimeError(f"worker did not start: {line!r}")
    return workers


def throughput(kind: str, worker_count: int, runs: int) -> float:
    """Workflows per second for ``runs`` three-step pipelines served by ``worker_count`` workers."""
    from bot.adapters.durable import EngineClient, EngineSettings

    with fresh_database(kind) as url:
        workers = start_workers(url, worker_count)
        try:
            settings = EngineSettings(url, "bench", "bench-client")
            with EngineClient(settings) as client:
                started = time.perf_counter()
                ids = [
                    client.start_pipeline(
                        "three-steps", {"value": 0}, workflow_id=f"r{n}", queue="bench"
                    )
                    for n in range(runs)
                ]
                for run_id in ids:
                    assert client.result(run_id, timeout=600) == {"value": 3}
                elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
                worker.communicate(timeout=60)
    return runs / elapsed


def overhead_per_step(kind: str) -> tuple[float, float]:
    """(engine overhead per step, direct cost per step), in milliseconds."""
    from bot.adapters.durable import Engine, EngineSettings

    with fresh_database(kind) as url:
        engine = Engine(EngineSettings(url, "bench", "bench-inline"), catalog)
        engine.launch()
        try:
            engine.result(
                engine.start_pipeline("many-steps", {"value": 0}, workflow_id="warm", queue=None)
            )
            started = time.perf_counter()
            run = engine.start_pipeline("many-steps", {"value": 0}, workflow_id="m", queue=None)
            assert engine.result(run) == {"value": STEPS_FOR_OVERHEAD}
            durable = time.perf_counter() - started
        finally:
            engine.shutdown()
    context = StageContext(run_id="direct", pipeline="many-steps", stage="s", index=0)
    started = time.perf_counter()
    data = Counter(value=0)
    for _ in range(STEPS_FOR_OVERHEAD):
        data = bump(context, Counter.model_validate(data.model_dump(mode="json")))
    direct = time.perf_counter() - started
    per_step = 1000 / STEPS_FOR_OVERHEAD
    return (durable - direct) * per_step, direct * per_step


def main() -> None:
    """Print one table row per database and worker count, then the per-step overhead."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200, help="pipelines per measurement")
    arguments = parser.parse_args()
    kinds = ["sqlite"] + (["postgres"] if os.environ.get("SPECBOT_BENCH_POSTGRES_URL") else [])
    print("| database | workers | workflows/s (3 steps each) |")
    print("|---|---|---|")
    for kind in kinds:
        for worker_count in (1, 2):
            rate = throughput(kind, worker_count, arguments.runs)
            print(f"| {kind} | {worker_count} | {rate:.1f} |", flush=True)
    print()
    print("| database | engine overhead per step (ms) | the step itself (ms) |")
    print("|---|---|---|")
    for kind in kinds:
        overhead, direct = overhead_per_step(kind)
        print(f"| {kind} | {overhead:.2f} | {direct:.3f} |", flush=True)


if __name__ == "__main__":
    main()
