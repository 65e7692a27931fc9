"""The dashboard under abuse: out-of-range filters and cursors, and a flood of page reads that
must wait apart from the webhook or be turned away."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from bot.web.dashboard._reading import MAX_WAITING_READS, Busy, off_loop
from tests.dashboard.test_pages import BEARER, dashboard_app, seeded_database


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",
        "before=" + "9" * 30 + ":x",
        "before=%C2%B2:x",
        "since=0001-01-01",
        "since=9999-12-31",
    ],
)
def test_a_filter_out_of_range_is_never_a_server_error(tmp_path: Path, query: str) -> None:
    """Dates at the calendar's ends and cursors that are no timestamps: 200 or 400, never 500."""
    client = TestClient(dashboard_app(seeded_database(tmp_path)), raise_server_exceptions=False)
    for suffix in ("", "&format=json"):
        assert client.get(f"/runs?{query}{suffix}", headers=BEARER).status_code in (200, 400)


def test_the_live_list_refuses_an_older_page_before_it_streams(tmp_path: Path) -> None:
    """Only the newest page is live: a cursor is a clear 400, not a stream that breaks."""
    client = TestClient(dashboard_app(seeded_database(tmp_path)))
    answer = client.get("/runs/live?before=12:x", headers=BEARER)
    assert answer.status_code == 400 and "live list" in answer.json()["error"]


def test_a_stream_from_a_non_ascii_digit_starts_at_the_beginning(tmp_path: Path) -> None:
    """``after=²`` (a digit to isdigit(), not to int()) is ignored."""
    client = TestClient(dashboard_app(seeded_database(tmp_path)))
    path = f"/runs/{quote('spec:acme/one#1:aaa', safe='')}/events?after=%C2%B2"
    with client.stream("GET", path, headers=BEARER) as answer:
        text = "".join(answer.iter_text())
    assert answer.status_code == 200 and "event: entry" in text and "event: end" in text


def test_reads_past_the_queue_are_turned_away_at_once_and_the_rest_finish() -> None:
    """With every reader taken and the queue full, one more read is Busy (a 503) at once;
    the waiting ones all finish once the readers are free."""
    release = threading.Event()

    def slow() -> str:
        release.wait(timeout=30)
        return "read"

    async def flood() -> tuple[list[str], bool]:
        waiting = [asyncio.create_task(off_loop(slow)) for _ in range(MAX_WAITING_READS)]
        await asyncio.sleep(0.05)
        try:
            await off_loop(slow)
            refused = False
        except Busy:
            refused = True
        release.set()
        return list(await asyncio.gather(*waiting)), refused

    finished, refused = asyncio.run(flood())
    assert refused
    assert finished == ["read"] * MAX_WAITING_READS
