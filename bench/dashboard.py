"""Benchmark the run dashboard: ``GET /runs`` with 10,000 runs in the database.

python bench/dashboard.py [--runs 10000] [--requests 300] [--database-url URL]

Fills a fresh database (a tmp SQLite file unless ``--database-url``) with ``--runs`` finished
runs spread over 40 repositories, 6 flows and 4 states (rows of the run index, as the engine
writes them), starts ``specbot serve --no-worker`` on it with the dashboard behind a shared
secret, and times ``--requests`` page loads of each kind from one keep-alive client: the
first page, a page filtered by repository, by flow and state, a date range and the 100th page
(through the cursor). Then, in this process, the index query alone for a viewer who can read
5 of the 40 repositories (as GitHub sign-in gives). Prints p50/p90/p99/max per kind.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhooks import _free_port, start_server

from bot.adapters.durable._run_index import RUNS, RunIndex, RunQuery
from bot.adapters.durable._tables import create_engine, create_tables

DASHBOARD_SECRET = "bench-dashboard-secret-0123456789"
FLOWS = ("spec", "review", "follow-up", "ingest", "criteria", "spec-approved")
STATES = ("succeeded", "succeeded", "succeeded", "failed", "cancelled", "interrupted")
START_MS = 1_780_000_000_000  # 2026-05-28


def fill(database_url: str, runs: int) -> None:
    """``runs`` finished top-level runs, one every 90 s back from ``START_MS``."""
    tables = create_engine(database_url)
    create_tables(tables)
    rows = []
    for number in range(runs):
        repo = f"acme/repo-{number % 40:02d}"
        started = START_MS - number * 90_000
        rows.append(
            {
                "run_id": f"spec:{repo}#{number + 1}:{number:016x}",
                "parent": None,
                "flow": FLOWS[number % len(FLOWS)],
                "repository": repo,
                "repo_key": repo,
                "number": number + 1,
                "state": STATES[number % len(STATES)],
                "stage": "publish",
                "started_ms": started,
                "finished_ms": started + 60_000 + number % 600 * 100,
                "cost_usd": 0.01 * (number % 97),
                "input_tokens": 1000 + number,
                "output_tokens": 200 + number % 300,
                "model_calls": 3 + number % 20,
                "outcome": "Opened the pull request." if number % 3 else "Not ready: F3.",
            }
        )
    with tables.begin() as connection:
        for start in range(0, len(rows), 1000):
            connection.execute(sa.insert(RUNS), rows[start : start + 1000])
    tables.dispose()


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def deep_cursor(connection: http.client.HTTPConnection, pages: int) -> str:
    """The cursor of page ``pages`` (read through the JSON list)."""
    import json

    cursor = ""
    for _ in range(pages - 1):
        query = urllib.parse.urlencode({"format": "json", **({"before": cursor} if cursor else {})})
        connection.request("GET", f"/runs?{query}", headers=_headers())
        answer = connection.getresponse()
        cursor = json.loads(answer.read())["next_cursor"]
    return cursor


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {DASHBOARD_SECRET}", "Accept": "text/html"}


def time_pages(port: int, path: str, requests: int) -> list[float]:
    """Milliseconds per ``GET path`` (HTML, whole body read), one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        connection.request("GET", path, headers=_headers())
        answer = connection.getresponse()
        body = answer.read()
        samples.append((time.perf_counter() - began) * 1000)
        if answer.status != 200 or b"<table" not in body:
            raise SystemExit(f"GET {path}: {answer.status} {body[:300]!r}")
    connection.close()
    return samples


def main() -> None:
    """Fill, serve, time each kind of page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="specbot-bench-") as tmp:
        data = Path(tmp)
        (data / "db").mkdir()
        url = options.database_url or f"sqlite:///{data / 'db' / 'specbot.sqlite'}"
        began = time.perf_counter()
        fill(url, options.runs)
        seconds = time.perf_counter() - began
        print(f"filled {options.runs} runs in {seconds:.1f} s ({url.split(':')[0]})")
        port = _free_port()
        extra = {
            "SPECBOT_DATABASE_URL": url,
            "SPECBOT_DASHBOARD_ACCESS": "secret",
            "SPECBOT_DASHBOARD_SECRET": DASHBOARD_SECRET,
        }
        server = start_server(data, port, False, url, extra=extra)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cursor = deep_cursor(connection, 100)
            kinds = {
                "first page": "/runs",
                "one repository": "/runs?repository=acme/repo-07",
                "flow and state": "/runs?flow=review&state=failed",
                "date range": "/runs?since=2026-05-20&until=2026-05-22",
                "page 100 (cursor)": "/runs?" + urllib.parse.urlencode({"before": cursor}),
            }
            head = " ".join(f"{name:>8}" for name in ("p50", "p90", "p99", "max"))
            print(f"{'page':<20} {head}   ({options.requests} requests each)")
            for name, path in kinds.items():
                time_pages(port, path, 20)  # warm the connection pool and the caches
                samples = time_pages(port, path, options.requests)
                figures = [statistics.median(samples), _percentile(samples, 0.9)]
                figures += [_percentile(samples, 0.99), max(samples)]
                print(f"{name:<20} " + " ".join(f"{value:6.1f}ms" for value in figures))
        finally:
            server.terminate()
            server.wait(timeout=30)
        restricted_query(url, options.requests)


def restricted_query(database_url: str, requests: int) -> None:
    """Time ``RunIndex.page`` for a viewer who reads 5 of the 40 repositories."""
    tables = create_engine(database_url)
    index = RunIndex(tables)
    readable = frozenset(f"acme/repo-{number:02d}" for number in (1, 9, 17, 25, 33))
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        rows = index.page(RunQuery(repositories=readable)).rows
        samples.append((time.perf_counter() - began) * 1000)
        assert rows and {row.repository for row in rows} <= readable
    tables.dispose()
    figures = [statistics.median(samples), _percentile(samples, 0.9)]
    figures += [_percentile(samples, 0.99), max(samples)]
    print(f"{'5 of 40 (query only)':<20} " + " ".join(f"{value:6.1f}ms" for value in figures))


if __name__ == "__main__":
    main()
