"""Benchmark the webhook acknowledgement: signed deliveries at a fixed rate to ``specbot serve``.

python bench/webhooks.py [--rate 200] [--seconds 30] [--no-worker] [--senders 8]

Starts ``specbot serve`` as its own process on a free loopback port (SQLite in a tmp dir,
worker in the same process unless ``--no-worker``) and sends signed ``issues.opened``
deliveries from this process at a fixed rate (open loop: each request has a scheduled send
time, and its latency counts from that time, so a stalled server cannot hide its queue).
Prints acknowledgement p50/p90/p99/max, then checks every delivery was stored exactly once
in the webhook inbox, and how many ingest runs the inbox pumps started from them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ingest import IngestRouter, ingest_catalog
from bot.orchestra import StageContext
from bot.routing import Router
from bot.webhooks import Event, sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
BODY = (ROOT / "tests/data/github/webhooks/examples/issues/opened.payload.json").read_bytes()

# Served by the benchmarked process (``--router webhooks:router``): one no-op handler, so every
# delivery is stored and dispatched but the figures are the server's and the engine's alone.
router: IngestRouter = Router()


@router.register("issues")
def _noop(event: Event, context: StageContext) -> None:
    """Accept the event and do nothing."""


# Served by ``specbot worker --catalog webhooks:catalog`` when the workers run apart.
catalog = ingest_catalog(router)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)


def _environment(data: Path, database_url: str | None) -> dict[str, str]:
    extra = {"SPECBOT_DATABASE_URL": database_url} if database_url else {}
    return {
        **extra,
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_APP_ID": "1",
        "GITHUB_PRIVATE_KEY_PATH": str(data / "app.pem"),
        "SPECBOT_DATA_DIR": str(data / "db"),
        "SPECBOT_LOG_LEVEL": "WARNING",
    }


def start_workers(
    data: Path, count: int, database_url: str | None
) -> list[subprocess.Popen[bytes]]:
    """``count`` separate ``specbot worker`` processes serving the ingest pipeline."""
    workers = []
    for number in range(count):
        env = {**_environment(data, database_url), "SPECBOT_EXECUTOR_ID": f"bench-worker-{number}"}
        # Niced: on a shared machine the front end must win the CPU; the queue absorbs the rest.
        command = ["nice", "-n", "10", sys.executable, "-m", "bot", "worker"]
        command += ["--catalog", "webhooks:catalog"]
        workers.append(
            subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    return workers


def start_server(
    data: Path,
    port: int,
    worker: bool,
    database_url: str | None,
    extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``specbot serve`` in its own process; returns once /healthz answers 200."""
    _write_key(data / "app.pem")
    env = {**_environment(data, database_url), **(extra or {})}
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    command += ["--router", "webhooks:router", "--drain", "5"]
    if not worker:
        command.append("--no-worker")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("specbot serve did not become ready")


def send_at_rate(
    url: str, rate: float, seconds: float, senders: int, tag: str
) -> tuple[list[float], int]:
    """Send ``rate`` deliveries per second for ``seconds``; latencies (s) and failures."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.5
    next_index = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]
    parsed = urllib.parse.urlsplit(url)
    host, port, path = parsed.hostname or "127.0.0.1", parsed.port or 80, parsed.path
    signature = sign(BODY, SECRET)  # the same body every time

    def sender() -> None:
        # The standard library's client: httpx took about 1.4 ms of CPU per request here, as
        # much as the server, on the same two cores, and its share showed up as latency.
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                scheduled = start + index / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                headers = {
                    "X-GitHub-Event": "issues",
                    "X-GitHub-Delivery": f"{tag}-{index}",
                    "X-Hub-Signature-256": signature,
                    "Content-Type": "application/json",
                }
                connection.request("POST", path, body=BODY, headers=headers)
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - scheduled
                with lock:
                    latencies.append(elapsed)
                    if response.status != 202:
                        failures[0] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0]


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def stored_counts(database_url: str, tag: str) -> tuple[int, int, int]:
    """This benchmark run's deliveries in the inbox, those still pending, and runs started."""
    from bot.adapters.durable import EngineClient, EngineSettings, Inbox, inbox_engine

    inbox = Inbox(inbox_engine(database_url))
    try:
        rows = [e for e in inbox.entries(limit=10_000_000) if e.delivery_id.startswith(tag)]
    finally:
        inbox.dispose()
    settings = EngineSettings(
        database_url=database_url, application_version="bench", executor_id="bench"
    )
    with EngineClient(settings) as client:
        runs = len(client.run_ids(f"delivery:{tag}-"))
    return len(rows), sum(1 for row in rows if row.done_ms is None), runs


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument(
        "--database-url", default=None, help="SPECBOT_DATABASE_URL (default: SQLite in a tmp dir)"
    )
    parser.add_argument("--no-worker", action="store_true", help="serve only accepts")
    parser.add_argument(
        "--workers", type=int, default=0, help="separate worker processes (implies --no-worker)"
    )
    options = parser.parse_args()
    if options.workers:
        options.no_worker = True
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        port = _free_port()
        tag = f"bench-{uuid.uuid4().hex[:8]}"
        database_url = options.database_url or f"sqlite:///{data / 'db' / 'specbot.sqlite'}"
        server = start_server(data, port, not options.no_worker, options.database_url)
        workers = start_workers(data, options.workers, options.database_url)
        try:
            url = f"http://127.0.0.1:{port}/webhook"
            latencies, failures = send_at_rate(
                url, options.rate, options.seconds, options.senders, tag
            )
        finally:
            for process in [server, *workers]:
                process.send_signal(signal.SIGTERM)
            for process in [server, *workers]:
                process.wait(timeout=60)
        stored, pending, runs = stored_counts(database_url, tag)
    ms = [value * 1000 for value in latencies]
    mode = "with worker in process"
    if options.no_worker:
        mode = f"serve --no-worker, {options.workers} separate worker process(es)"
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"{len(ms)} deliveries at {options.rate:g}/s for {options.seconds:g} s ({mode}, {database})"
    )
    print(
        f"ack p50 {statistics.median(ms):.1f} ms  p90 {_percentile(ms, 0.90):.1f} ms  "
        f"p99 {_percentile(ms, 0.99):.1f} ms  max {max(ms):.1f} ms  non-202: {failures}"
    )
    # The inbox pumps run where runs are served: in serve with its worker, or in the workers.
    pumped = not options.no_worker or options.workers > 0
    print(
        f"stored in the inbox: {stored} (expected {len(ms)}); runs started: {runs}, "
        f"still pending: {pending}"
        + ("" if pumped else " (no worker, so no pump: the workers would start them)")
    )


if __name__ == "__main__":
    main()
