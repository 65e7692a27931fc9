"""Benchmark localhub: REST throughput and latency, and the time to push a 1,000-file commit.

python bench/localhub.py [--requests 2000] [--concurrency 4] [--files 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.localhub import RunningHub, start_localhub

SEED = """\
users: [{login: alice, token: ghp_alice}]
orgs: [acme]
repos:
  - {full_name: acme/widgets, source: ./widgets, collaborators: {alice: write}}
"""
HEADERS = {"Authorization": "token ghp_alice"}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def measure(
    name: str, call: Callable[[httpx.Client], httpx.Response], total: int, concurrency: int
) -> None:
    """Run ``call`` ``total`` times from ``concurrency`` keep-alive clients; print the figures."""
    per_client = total // concurrency
    clients = [httpx.Client(headers=HEADERS) for _ in range(concurrency)]

    def worker(client: httpx.Client) -> list[float]:
        latencies = []
        for _ in range(per_client):
            started = time.perf_counter()
            response = call(client)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        samples = [s for batch in pool.map(worker, clients) for s in batch]
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    print(
        f"{name:<34} {len(samples) / elapsed:8.0f} req/s   "
        f"p50 {statistics.median(samples) * 1000:6.1f} ms   "
        f"p99 {_percentile(samples, 0.99) * 1000:6.1f} ms"
    )


def push_many_files(hub: RunningHub, files: int, work: Path) -> None:
    """Time ``git push`` of one commit adding ``files`` files (clone and commit not counted)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)

    subprocess.run(
        ["git", "clone", "-q", hub.git_url("acme/widgets", "ghp_alice", "alice"), str(work)],
        check=True,
        capture_output=True,
    )
    for index in range(files):
        path = work / "gen" / f"d{index % 20}" / f"file{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {index}\n" + "# padding line\n" * 20)
    git("add", "-A")
    git("commit", "-q", "-m", f"Add {files} files")
    started = time.perf_counter()
    git("push", "-q", "origin", "HEAD:refs/heads/many-files")
    pushed = time.perf_counter() - started
    assert hub.wait_for_deliveries(60)
    print(f"{'git push of a ' + str(files) + '-file commit':<34} {pushed:8.2f} s (push event sent)")


def main() -> None:
    """Start a localhub, measure, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "widgets").mkdir()
        (root / "widgets" / "README.md").write_text("# widgets\n")
        (root / "seed.yml").write_text(SEED)
        hub = start_localhub(root / "seed.yml")
        try:
            issue = hub.open_issue("acme/widgets", "Benchmark", as_user="alice")
            url = f"{hub.api_url}/repos/acme/widgets/issues/{issue['number']}"
            print(f"localhub benchmark: {args.requests} requests, {args.concurrency} clients")
            measure("GET  issues/{n} (read)", lambda c: c.get(url), args.requests, args.concurrency)
            measure(
                "POST issues/{n}/comments (write)",
                lambda c: c.post(url + "/comments", json={"body": "bench"}),
                args.requests,
                args.concurrency,
            )
            push_many_files(hub, args.files, root / "work")
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
