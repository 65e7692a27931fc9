"""Live updates over a real server: the list's rows as runs start and end, and a running run's
timeline entries and state as its events are written, through server-sent events read with
httpx, while the database (a real SQLite file) changes underneath."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bot.adapters.durable import EventLog, RunIndex, Usage
from bot.adapters.durable._tables import create_engine
from bot.orchestra import Event
from bot.run_links import run_signature
from tests.dashboard.test_pages import (
    HOSTILE,
    SECRET,
    WEBHOOK_SECRET,
    FixedAccess,
    dashboard_app,
    seeded_database,
)

STREAM = {"Authorization": f"Bearer {SECRET}", "Accept": "text/event-stream"}
# Generous: a stream that never sends what a test waits for fails it instead of hanging.
TIMEOUT = httpx.Timeout(30.0)
RUNNING = "spec:acme/one#3:ccc"  # the seeded database's run that has not ended
ROW = re.compile(r'<tr class="state-([a-z]+)">\s*<td[^>]*><a href="([^"]+)"')


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free local port, in a thread, for as long as the block."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def messages(answer: httpx.Response) -> Iterator[dict[str, str]]:
    """The server-sent events of ``answer`` as {event, id, data} (pings left out)."""
    message: dict[str, str] = {}
    for line in answer.iter_lines():
        if not line:
            if "event" in message:
                yield message
            message = {}
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data" and "data" in message:
            message["data"] += "\n" + value
        elif field in ("event", "id", "data"):
            message[field] = value


def _rows(data: str) -> dict[str, str]:
    """The rows fragment as {run page link: state}."""
    return {href: state for state, href in ROW.findall(data)}


def _until(stream: Iterator[dict[str, str]], wanted: Any) -> dict[str, str]:
    """The first message for which ``wanted(message)`` holds (the read timeout fails the test
    when none comes)."""
    for message in stream:
        if wanted(message):
            return message
    raise AssertionError("the stream ended first")


def _link(run_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}"


def _event(run_id: str, kind: str, payload: dict[str, Any]) -> Event:
    return Event(
        event_type=kind,
        timestamp=datetime.now(UTC),
        source_agent="spec.build",
        correlation_id=run_id,
        payload=payload,
    )


@pytest.fixture
def database(tmp_path: Path) -> str:
    """The seeded database of the page tests (three runs, one of them still running)."""
    return seeded_database(tmp_path)


def test_a_new_run_appears_and_its_row_follows_it_to_the_end(database: str) -> None:
    """The list's stream sends the rows; a run that starts is added, and its row turns from
    running to succeeded, without a reload."""
    tables = create_engine(database)
    index = RunIndex(tables)
    new = "spec:acme/one#7:ddd"
    with (
        serving(dashboard_app(database)) as base,
        httpx.stream("GET", f"{base}/runs/live", headers=STREAM, timeout=TIMEOUT) as answer,
    ):
        assert answer.headers["content-type"].startswith("text/event-stream")
        stream = messages(answer)
        first = _rows(_until(stream, lambda m: m["event"] == "rows")["data"])
        assert first[_link(RUNNING)] == "running" and _link(new) not in first
        index.started(new, "spec", {"repo": "acme/one", "issue": 7})
        added = _until(stream, lambda m: _link(new) in _rows(m["data"]))
        assert _rows(added["data"])[_link(new)] == "running"
        assert list(_rows(added["data"]))[0] == _link(new)  # newest first
        index.finished(new, "succeeded", "pull request #8 opened", Usage(0.5, 10, 2, 1))
        done = _until(stream, lambda m: _rows(m["data"]).get(_link(new)) == "succeeded")
        assert "pull request #8 opened" in done["data"] and "$0.5000" in done["data"]
    tables.dispose()


def test_the_live_list_never_sends_a_repository_the_viewer_cannot_read(database: str) -> None:
    """mona reads acme/one: a run of acme/two that starts is in none of the rows she is sent,
    even as a run of acme/one started after it arrives."""
    tables = create_engine(database)
    index = RunIndex(tables)
    app = dashboard_app(database, access=FixedAccess({"acme/one"}))
    with (
        serving(app) as base,
        httpx.stream("GET", f"{base}/runs/live", headers=STREAM, timeout=TIMEOUT) as answer,
    ):
        stream = messages(answer)
        sent = [_until(stream, lambda m: m["event"] == "rows")["data"]]
        index.started("spec:acme/two#5:eee", "spec", {"repo": "acme/two", "issue": 5})
        index.started("spec:acme/one#6:fff", "spec", {"repo": "acme/one", "issue": 6})
        for message in stream:
            sent.append(message["data"])
            if _link("spec:acme/one#6:fff") in message["data"]:
                break
    tables.dispose()
    assert len(sent) >= 2
    assert not [data for data in sent if "acme/two" in data or "acme%2Ftwo" in data]


def test_a_running_run_streams_its_new_entries_and_state_until_it_ends(database: str) -> None:
    """Entries written while the page watches arrive in order with their sequence numbers
    (escaped); the state follows the run; the stream ends once it finished; a reconnect with
    ``Last-Event-ID`` gets only what came after."""
    tables = create_engine(database)
    index, log = RunIndex(tables), EventLog(tables)
    path = f"{_link(RUNNING)}/events?after=0"
    with (
        serving(dashboard_app(database)) as base,
        httpx.stream("GET", base + path, headers=STREAM, timeout=TIMEOUT) as answer,
    ):
        stream = messages(answer)
        state = _until(stream, lambda m: m["event"] == "state")
        assert '"state": "running"' in state["data"]
        log.append(_event(RUNNING, "stage.started", {"stage": "build", "attempt": 1}))
        started = _until(stream, lambda m: m["event"] == "entry")
        assert "stage build started" in started["data"] and started["id"].isdigit()
        log.append(_event(RUNNING, "agent.started", {"agent": HOSTILE, "role": "builder"}))
        agent = _until(stream, lambda m: m["event"] == "entry")
        assert int(agent["id"]) > int(started["id"])
        assert "&lt;script&gt;" in agent["data"] and "<script>" not in agent["data"]
        call = {"agent": "builder", "model": "m", "cost_usd": 0.1, "content": "MODEL-TEXT-LIVE"}
        log.append(_event(RUNNING, "model.response", call))
        model = _until(stream, lambda m: m["event"] == "entry")
        assert "builder ← m" in model["data"] and "MODEL-TEXT-LIVE" not in model["data"]
        index.finished(RUNNING, "succeeded", "", Usage(0.25, 5, 1, 1))
        ended = _until(stream, lambda m: m["event"] == "state")
        assert '"state": "succeeded"' in ended["data"] and "$0.2500" in ended["data"]
        assert _until(stream, lambda m: True)["event"] == "end"
        assert list(stream) == []  # the server closed the stream
        with httpx.stream(
            "GET", base + path, headers={**STREAM, "Last-Event-ID": started["id"]}, timeout=TIMEOUT
        ) as again:
            resumed = list(messages(again))
    tables.dispose()
    entries = [m for m in resumed if m["event"] == "entry"]
    assert [m["id"] for m in entries] == [agent["id"], model["id"]]
    assert resumed[-1]["event"] == "end"


def test_a_signed_link_streams_its_run_but_not_the_list(database: str) -> None:
    """The holder of one run's link follows that run live; the list's stream asks for a
    session; another run's stream with that signature is not found."""
    tables = create_engine(database)
    signature = run_signature(WEBHOOK_SECRET, RUNNING)
    plain = {"Accept": "text/event-stream"}
    with serving(dashboard_app(database)) as base:
        with httpx.stream(
            "GET", f"{base}{_link(RUNNING)}/events?sig={signature}", headers=plain, timeout=TIMEOUT
        ) as answer:
            assert answer.status_code == 200
            stream = messages(answer)
            assert _until(stream, lambda m: m["event"] == "state")
            RunIndex(tables).finished(RUNNING, "failed", "", Usage())
            assert _until(stream, lambda m: m["event"] == "end")
        refused = httpx.get(f"{base}/runs/live?sig={signature}", headers=plain)
        assert refused.status_code == 401
        other = _link("spec:acme/one#1:aaa")
        assert httpx.get(f"{base}{other}/events?sig={signature}").status_code == 404
    tables.dispose()
