"""``SPECBOT_METRICS_PORT``: ``specbot serve`` and ``specbot worker`` as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, RunSpecbot
from tests.hub_fixtures import WEBHOOK_SECRET
from tests.orchestra.workers import WorkerProcess
from tests.telemetry.exposition import parse, value
from tests.web.conftest import example, signed_headers
from tests.web.test_serve import Server, app_environment, free_port, wait_until_ready

pytestmark = pytest.mark.slow


def test_serve_exposes_its_metrics_and_the_databases_on_their_port(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """A delivery stored by ``serve --no-worker`` shows on the metrics port, unauthenticated,
    with the inbox holding it; the app itself has no /metrics then."""
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **app_environment(tmp_path, app_key_pem),
        "SPECBOT_METRICS_PORT": str(metrics_port),
    }
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-worker"]
    command += ["--router", "tests.web.routers:recording"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(process, f"http://127.0.0.1:{port}", tmp_path / "record.jsonl")
    try:
        wait_until_ready(server)
        body = example("issues", "opened.payload.json")
        stored = httpx.post(
            server.url + "/webhook",
            content=body,
            headers=signed_headers("issues", body, secret=WEBHOOK_SECRET),
        )
        assert stored.json()["status"] == "queued"
        answer = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert answer.status_code == 200
        samples = parse(answer.text)
        queued = value(
            samples, "specbot_webhook_deliveries_total", event="issues", outcome="queued"
        )
        assert queued == 1
        assert value(samples, "specbot_inbox_pending_deliveries") == 1
        assert httpx.get(server.url + "/metrics").status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"specbot serve: metrics on http://127.0.0.1:{metrics_port}/metrics" in stdout


def test_a_taken_metrics_port_is_one_line(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """``serve`` refuses to start without its metrics port, in one line naming the setting."""
    env = app_environment(tmp_path, app_key_pem)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = run_specbot(
            "serve",
            "--port",
            str(free_port()),
            "--no-worker",
            env=env | {"SPECBOT_METRICS_PORT": str(busy)},
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"specbot serve: SPECBOT_METRICS_PORT: cannot serve metrics on 127.0.0.1:{busy}: "
        "address already in use"
    ]


def test_a_worker_exposes_its_own_metrics(tmp_path: Path) -> None:
    """A worker serves its process's metrics on its port (the database's come from serve);
    a second worker on the same port is refused in one line."""
    url = f"sqlite:///{tmp_path / 'engine.sqlite'}"
    port = free_port()
    env = {"SPECBOT_METRICS_PORT": str(port), "SPECBOT_TEST_LEDGER": str(tmp_path / "l.sqlite")}
    worker = WorkerProcess(url, "metrics-worker", env=env).wait_ready()
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert answer.status_code == 200
        names = {sample.name for sample in parse(answer.text)}
        assert "specbot_inbox_pending_deliveries" not in names
        assert any(
            line.startswith("# TYPE specbot_runs_finished_total")
            for line in answer.text.splitlines()
        )
        second = WorkerProcess(url, "metrics-worker-2", env=env)
        assert second.process.wait(timeout=60) == 2
        second.stop()
        assert any("SPECBOT_METRICS_PORT" in line for line in second.errors)
    finally:
        assert worker.stop() == 0
    assert any(f"metrics on http://127.0.0.1:{port}/metrics" in line for line in worker.output)
