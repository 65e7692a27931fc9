"""``specbot serve`` as a real process: start-up refusals, localhub's signed webhooks, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.localhub import RunningHub
from tests.conftest import ROOT, RunSpecbot
from tests.hub_fixtures import APP_ID, WEBHOOK_SECRET
from tests.orchestra.workers import WorkerProcess
from tests.web.conftest import example, signed_headers


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``specbot serve`` subprocess."""

    process: subprocess.Popen[str]
    url: str
    record: Path

    def received(self) -> list[dict[str, str]]:
        """What the recording router's handler wrote down."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``signum``, then return the exit code and everything it logged."""
        self.process.send_signal(signum)
        _out, err = self.process.communicate(timeout=30)
        return self.process.returncode, err


def app_environment(tmp_path: Path, key: Path) -> dict[str, str]:
    """The settings a real deployment gives ``specbot serve``."""
    return {
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_PRIVATE_KEY_PATH": str(key),
        "SPECBOT_DATA_DIR": str(tmp_path / "data"),
        "SPECBOT_TEST_RECORD": str(tmp_path / "record.jsonl"),
        "SPECBOT_EXECUTOR_ID": "serve-test",
        "ANTHROPIC_API_KEY": "serve-test-model-key",
    }


def wait_until_ready(server: Server, timeout: float = 30.0) -> None:
    """Poll /healthz until it answers 200 (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"serve exited: {server.process.communicate()[1]}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("serve did not become ready")


@pytest.fixture
def server(tmp_path: Path, app_key_pem: Path) -> Iterator[Server]:
    """``specbot serve`` with a worker and the recording router, on a free port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **app_environment(tmp_path, app_key_pem)}
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    command += ["--router", "tests.web.routers:recording", "--drain", "1"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    running = Server(process, f"http://127.0.0.1:{port}", tmp_path / "record.jsonl")
    try:
        wait_until_ready(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def wait_for_records(server: Server, count: int, timeout: float = 15.0) -> None:
    """Wait until the handler recorded ``count`` events."""
    deadline = time.monotonic() + timeout
    while len(server.received()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"recorded {server.received()}, wanted {count}")
        time.sleep(0.05)


@pytest.mark.slow
def test_localhub_webhooks_reach_the_handler_once(server: Server, hub: RunningHub) -> None:
    """A real signed delivery reaches the handler once, also when localhub redelivers it."""
    hub.set_app_webhook(APP_ID, server.url + "/webhook")
    hub.open_issue("acme/widgets", "Export CSV", "body", as_user="alice")
    assert hub.wait_for_deliveries(10)
    wait_for_records(server, 1)
    [delivery] = [d for d in hub.deliveries("issues") if d["target"] != "repo"]
    assert delivery["status_code"] == 202
    again = hub.redeliver(delivery["id"])
    assert hub.wait_for_deliveries(10)
    [redelivered] = [d for d in hub.deliveries("issues") if d["id"] == again["id"]]
    assert redelivered["redelivery"] and redelivered["guid"] == delivery["guid"]
    assert redelivered["status_code"] == 202
    time.sleep(1.0)  # a second run would be dispatched within the ingest queue's poll
    assert server.received() == [
        {
            "event": "issues",
            "action": "opened",
            "delivery_id": delivery["guid"],
            "run_id": f"delivery:{delivery['guid']}",
        }
    ]
    code, logged = server.stop()
    assert code == 0, logged
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("logger") in {"specbot.web", "specbot.ingest"}]
    assert {line["event"] for line in ours} >= {"delivery queued", "delivery duplicate"}
    assert all(line["delivery_id"] == delivery["guid"] for line in ours)
    assert all(line["github_event"] == "issues" for line in ours)
    dispatched = [line for line in ours if line["logger"] == "specbot.ingest"]
    assert [line["run_id"] for line in dispatched] == [f"delivery:{delivery['guid']}"]
    assert WEBHOOK_SECRET not in logged


@pytest.mark.slow
def test_bad_signature_and_sigint(server: Server) -> None:
    """A forged delivery is 401 and never dispatched; SIGINT (Ctrl-C) stops serve with exit 0."""
    body = example("issues", "opened.payload.json")
    headers = signed_headers("issues", body, secret="forged")
    request = urllib.request.Request(server.url + "/webhook", body, headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    refused.value.close()
    time.sleep(0.5)
    assert server.received() == []
    code, logged = server.stop(signal.SIGINT)
    assert code == 0, logged
    assert "Traceback" not in logged


@pytest.mark.parametrize(
    ("drop", "change", "named"),
    [
        ("GITHUB_WEBHOOK_SECRET", {}, "GITHUB_WEBHOOK_SECRET is not set"),
        ("GITHUB_APP_ID", {}, "GITHUB_APP_ID is not set"),
        ("GITHUB_PRIVATE_KEY_PATH", {}, "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not"),
        (None, {"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "GITHUB_PRIVATE_KEY_PATH:"),
        (None, {"GITHUB_APP_ID": "twelve"}, "GITHUB_APP_ID"),
        (None, {"GITHUB_PRIVATE_KEY_PATH": "__self__"}, "GITHUB_PRIVATE_KEY_PATH: not a PEM"),
        (
            None,
            {"SPECBOT_DATABASE_URL": "sqlite:////proc/specbot/db.sqlite"},
            "SPECBOT_DATABASE_URL: cannot create /proc/specbot",
        ),
        (
            None,
            {"SPECBOT_DASHBOARD_ACCESS": "secret", "SPECBOT_DASHBOARD_SECRET": "short"},
            "SPECBOT_DASHBOARD_SECRET",
        ),
        (None, {"SPECBOT_DASHBOARD_ACCESS": "github"}, "GITHUB_CLIENT_ID"),
        (None, {"SPECBOT_DASHBOARD_ACCESS": "everyone"}, "SPECBOT_DASHBOARD_ACCESS"),
    ],
)
def test_startup_refusals_name_the_setting(
    run_specbot: RunSpecbot,
    tmp_path: Path,
    app_key_pem: Path,
    drop: str | None,
    change: dict[str, str],
    named: str,
) -> None:
    """A missing or unusable setting stops serve with one line naming it, exit non-zero."""
    env = app_environment(tmp_path, app_key_pem)
    if drop:
        env[drop] = ""
    for key, value in change.items():
        env[key] = str(Path(__file__)) if value == "__self__" else value
    result = run_specbot("serve", "--port", str(free_port()), env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("specbot serve: ") and named in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_every_missing_setting_is_named_at_once(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """With nothing set, one message names the secret, the App id, the private key and the
    model's key, each on its own line under one that counts them; exit 2."""
    env = {name: "" for name in app_environment(tmp_path, app_key_pem)}
    env["SPECBOT_DATA_DIR"] = str(tmp_path / "data")
    result = run_specbot("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "specbot serve: 4 settings to fix before it can start:", result.stderr
    named = [line.strip().split(" ", 1)[0] for line in lines[1:]]
    assert named == [
        "GITHUB_WEBHOOK_SECRET",
        "GITHUB_APP_ID",
        "GITHUB_PRIVATE_KEY",
        "ANTHROPIC_API_KEY",
    ]
    assert "runs fails" in lines[-1] or "every run fails" in lines[-1]


def test_invalid_values_are_named_together_in_plain_words(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """Two unusable values are both named, in the product's words, not pydantic's."""
    env = app_environment(tmp_path, app_key_pem)
    env |= {"GITHUB_APP_ID": "twelve", "SPECBOT_MODEL_MAX_ATTEMPTS": "0"}
    result = run_specbot("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    assert "GITHUB_APP_ID must be a whole number" in result.stderr
    assert "SPECBOT_MODEL_MAX_ATTEMPTS must be at least 1" in result.stderr
    assert "Input should" not in result.stderr and "Value error" not in result.stderr


def test_a_model_key_is_not_needed_to_only_accept_deliveries(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """Without ANTHROPIC_API_KEY, serving the flows is refused; a custom router is not."""
    env = app_environment(tmp_path, app_key_pem) | {"ANTHROPIC_API_KEY": ""}
    port = str(free_port())
    refused = run_specbot("serve", "--port", port, env=env)
    assert refused.returncode == 2
    assert refused.stderr.startswith("specbot serve: ANTHROPIC_API_KEY is not set")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        custom = run_specbot(
            "serve", "--port", busy, "--router", "tests.web.routers:recording", env=env
        )
    assert custom.returncode == 2  # got past the settings, to the taken port
    assert "ANTHROPIC_API_KEY" not in custom.stderr


def test_a_taken_port_is_one_line(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """A port something else listens on: one line naming it, exit 2, no log lines."""
    env = app_environment(tmp_path, app_key_pem)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_specbot("serve", "--port", str(port), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"specbot serve: port {port} on 127.0.0.1 is already in use: stop what listens there"
        " or choose another with --port"
    ]


@pytest.mark.slow
def test_no_worker_stores_and_a_worker_started_later_dispatches(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """With --no-worker a new database is set up and deliveries wait in the inbox; a
    ``specbot worker`` started after the server stopped drains them: one run, one dispatch."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **app_environment(tmp_path, app_key_pem)}
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-worker"]
    command += ["--router", "tests.web.routers:recording"]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(process, f"http://127.0.0.1:{port}", tmp_path / "record.jsonl")
    try:
        wait_until_ready(server)
        body = example("issues", "labeled.payload.json")
        headers = signed_headers("issues", body, delivery="no-worker-1", secret=WEBHOOK_SECRET)
        for expected in ("queued", "duplicate"):
            request = urllib.request.Request(server.url + "/webhook", body, headers, method="POST")
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 202
                assert json.loads(response.read())["status"] == expected
        time.sleep(0.5)
        assert server.received() == []
        code, logged = server.stop()
        assert code == 0, logged
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    from bot.adapters.durable import EngineClient, EngineSettings, Inbox, inbox_engine

    database = f"sqlite:///{tmp_path / 'data' / 'specbot.sqlite'}"
    settings = EngineSettings(database_url=database, application_version="t", executor_id="t")
    inbox = Inbox(inbox_engine(database))
    try:
        assert [entry.delivery_id for entry in inbox.entries(pending_only=True)] == ["no-worker-1"]
        with EngineClient(settings) as client:
            assert client.run_ids("delivery:") == []
        worker = WorkerProcess(
            database,
            "late-worker",
            env={"SPECBOT_TEST_RECORD": str(server.record)},
            flags={"catalog": "tests.web.routers:recording_catalog"},
        )
        try:
            worker.wait_ready()
            wait_for_records(server, 1)
            assert worker.stop() == 0, "".join(worker.errors)
        finally:
            worker.kill()
        assert [(line["delivery_id"], line["run_id"]) for line in server.received()] == [
            ("no-worker-1", "delivery:no-worker-1")
        ]
        assert inbox.pending_count() == 0
        with EngineClient(settings) as client:
            assert client.run_ids("delivery:") == ["delivery:no-worker-1"]
    finally:
        inbox.dispose()
