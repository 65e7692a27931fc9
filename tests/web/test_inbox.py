"""The webhook inbox and its pump on real databases (SQLite files; PostgreSQL when configured):
deliveries stored once, turned into exactly one run each, by however many pumps."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.durable import (
    EngineClient,
    EngineSettings,
    Inbox,
    InboxPump,
    Received,
    inbox_engine,
)
from bot.adapters.durable._delivery import DELIVERY_WORKFLOW
from bot.web._intake import IntakeWriter
from tests.conftest import RunSpecbot
from tests.orchestra.conftest import postgres_url  # noqa: F401  (a fixture)
from tests.web.conftest import example

BODY = example("issues", "opened.payload.json")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """A fresh database with the engine's and specbot's tables: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{request.getfixturevalue('tmp_path') / 'inbox.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(database: str) -> Iterator[EngineSettings]:
    """Engine settings on ``database``, its schema created as ``serve --no-worker`` does."""
    found = EngineSettings(database_url=database, application_version="t", executor_id="t")
    EngineClient(found, create_schema=True).close()
    yield found


@pytest.fixture
def inbox(settings: EngineSettings) -> Iterator[Inbox]:
    """The inbox of the test's database."""
    found = Inbox(inbox_engine(settings.database_url))
    yield found
    found.dispose()


@pytest.fixture
def client(settings: EngineSettings) -> Iterator[EngineClient]:
    """A client to read the runs back."""
    with EngineClient(settings) as found:
        yield found


def store(inbox: Inbox, count: int, prefix: str = "d") -> list[str]:
    """Store ``count`` deliveries of the example payload; returns their ids."""
    ids = [f"{prefix}-{number}" for number in range(count)]
    assert (
        inbox.put_many([Received(i, "issues", "application/json", BODY) for i in ids])
        == [True] * count
    )
    return ids


def drain(pump: InboxPump, inbox: Inbox, timeout: float = 30.0) -> None:
    """Start ``pump`` and wait until nothing is pending, then stop it."""
    pump.start()
    deadline = time.monotonic() + timeout
    while inbox.pending_count():
        assert time.monotonic() < deadline, f"{inbox.pending_count()} deliveries still pending"
        time.sleep(0.05)
    pump.close()


def test_duplicate_delivery_is_one_row_and_one_run(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """The same delivery id stored twice (also within one commit) is one row and one run."""
    first = Received("dup", "issues", "application/json", BODY)
    assert inbox.put_many([first, first]) == [True, False]
    assert inbox.put("dup", "issues", "application/json", b"{}") is False
    drain(InboxPump.connect(settings), inbox)
    assert client.run_ids("delivery:") == ["delivery:dup"]
    assert inbox.put("dup", "issues", "application/json", BODY) is False
    drain(InboxPump.connect(settings), inbox)
    assert client.run_ids("delivery:") == ["delivery:dup"]
    assert [entry.delivery_id for entry in inbox.entries()] == ["dup"]


def test_stored_without_a_pump_becomes_a_run_when_one_starts(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """Deliveries stored while no pump runs wait in the inbox; a pump started later starts
    each one's run, with the payload as it was received."""
    ids = store(inbox, 3)
    time.sleep(0.3)
    assert client.run_ids("delivery:") == []
    assert inbox.pending_count() == 3
    pump = InboxPump.connect(settings)
    drain(pump, inbox)
    assert pump.started_runs == 3
    assert sorted(client.run_ids("delivery:")) == sorted(f"delivery:{i}" for i in ids)
    assert client.status("delivery:d-0") == "ENQUEUED"
    entries = inbox.entries()
    assert all(entry.done_ms is not None and entry.error is None for entry in entries)


def test_two_pumps_start_every_delivery_exactly_once(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """Two pumps with their own connections drain one inbox: every delivery gets one run, and
    between them they start exactly as many runs as there were deliveries."""
    ids = store(inbox, 120)
    pumps = [InboxPump.connect(settings, batch=7, idle_seconds=0.01) for _ in range(2)]
    for pump in pumps:
        pump.start()
    deadline = time.monotonic() + 60
    while inbox.pending_count():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for pump in pumps:
        pump.close()
    assert sorted(client.run_ids("delivery:")) == sorted(f"delivery:{i}" for i in ids)
    assert sum(pump.started_runs for pump in pumps) == len(ids)


def test_intake_and_pump_at_once_lose_nothing(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """Deliveries stored from several threads (with repeats) while a pump runs: each id is
    new exactly once, and ends as exactly one run."""
    pump = InboxPump(inbox, client, idle_seconds=0.01)
    pump.start()
    writer = IntakeWriter(inbox, on_stored=pump.notify)
    writer.start()
    answers: dict[str, list[bool]] = {}
    lock = threading.Lock()

    def send(thread: int) -> None:
        for number in range(40):
            delivery = f"c-{(thread * 40 + number) % 100}"  # 160 sends over 100 ids
            new = writer.submit(Received(delivery, "issues", "application/json", BODY)).result()
            with lock:
                answers.setdefault(delivery, []).append(new)

    senders = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    writer.stop()
    deadline = time.monotonic() + 30
    while inbox.pending_count():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pump.stop()
    assert len(answers) == 100
    assert all(sorted(new) == [False] * (len(new) - 1) + [True] for new in answers.values())
    assert len(client.run_ids("delivery:c-")) == 100


def test_unreadable_row_is_kept_with_its_reason_and_the_rest_start(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """A row whose body cannot be decoded (never from intake) gets no run and an error, and
    does not hold up the other deliveries of its batch."""
    store(inbox, 2)
    inbox.put("broken", "issues", "application/json", b'{"action": ')
    drain(InboxPump.connect(settings), inbox)
    assert sorted(client.run_ids("delivery:")) == ["delivery:d-0", "delivery:d-1"]
    [broken] = [entry for entry in inbox.entries() if entry.delivery_id == "broken"]
    assert broken.done_ms is not None
    assert broken.error is not None and "JSON" in broken.error


def test_a_run_that_cannot_be_started_is_retried_later_alone(
    settings: EngineSettings, inbox: Inbox, client: EngineClient
) -> None:
    """When the engine refuses one delivery's run (its id is taken by another kind of run),
    the batch's other runs start, and that delivery stays pending with an attempt counted."""
    event = {"event_id": "e", "event_type": "x", "source_agent": "test"}
    client.enqueue(
        DELIVERY_WORKFLOW, "events.x", "x", event, workflow_id="delivery:clash", partition="a/b"
    )
    store(inbox, 2)
    inbox.put("clash", "issues", "application/json", BODY)
    pump = InboxPump.connect(settings)
    assert pump.pump_once() == 3
    pump.close()
    assert sorted(client.run_ids("delivery:d-")) == ["delivery:d-0", "delivery:d-1"]
    [clash] = inbox.entries(pending_only=True)
    assert clash.delivery_id == "clash" and clash.attempts == 1
    assert clash.error is not None and "Conflicting" in clash.error
    assert not inbox.has_pending(), "the failed delivery waits out its backoff"


def test_prune_removes_only_old_done_rows(settings: EngineSettings, inbox: Inbox) -> None:
    """Pruning deletes rows done longer ago than the retention, and never a pending one."""
    store(inbox, 2, prefix="old")
    drain(InboxPump.connect(settings), inbox)
    store(inbox, 1, prefix="pending")
    assert inbox.prune(older_than_seconds=3600) == 0
    time.sleep(0.01)
    assert inbox.prune(older_than_seconds=0) == 2
    assert [entry.delivery_id for entry in inbox.entries()] == ["pending-0"]


class Peek(Exception):
    """Raised to roll a transaction back after looking at what it took."""


def test_stored_body_is_kept_byte_for_byte(inbox: Inbox, settings: EngineSettings) -> None:
    """The body is stored as received (form-encoded here), a rolled-back take leaves the row
    due, and the pump decodes it into a run."""
    from urllib.parse import urlencode

    body = urlencode({"payload": BODY.decode()}).encode()
    inbox.put("form", "issues", "application/x-www-form-urlencoded", body)
    taken = []
    with pytest.raises(Peek), inbox.transaction() as connection:
        taken = inbox.take_in(connection, limit=5)
        raise Peek
    assert [(row.body, row.content_type) for row in taken] == [
        (body, "application/x-www-form-urlencoded")
    ]
    assert inbox.has_pending()
    with EngineClient(settings) as client:
        drain(InboxPump.connect(settings), inbox)
        assert client.run_ids("delivery:") == ["delivery:form"]


def test_runs_inbox_lists_deliveries(
    settings: EngineSettings, inbox: Inbox, run_specbot: RunSpecbot
) -> None:
    """``specbot runs inbox`` lists stored deliveries, newest first, and which still wait."""
    store(inbox, 2)
    drain(InboxPump.connect(settings), inbox)
    store(inbox, 1, prefix="late")
    env = {"SPECBOT_DATABASE_URL": settings.database_url}
    listed = run_specbot("runs", "inbox", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    # Newest first; deliveries stored in one commit share a time and come by id.
    assert [line.split()[1] for line in lines] == ["late-0", "d-0", "d-1"]
    assert "pending" in lines[0] and "run started" in lines[1]
    waiting = run_specbot("runs", "inbox", "--pending", "--json", env=env)
    assert [row["delivery_id"] for row in json.loads(waiting.stdout)] == ["late-0"]


def test_sqlite_write_waits_for_another_writer(tmp_path: Path) -> None:
    """While another connection holds SQLite's write lock, a store waits for it (polling, not
    failing at once) and succeeds as soon as the lock is released."""
    database = f"sqlite:///{tmp_path / 'locked.sqlite'}"
    EngineClient(
        EngineSettings(database_url=database, application_version="t", executor_id="t"),
        create_schema=True,
    ).close()
    found = Inbox(inbox_engine(database, background_checkpoints=True))
    other = sqlite3.connect(
        tmp_path / "locked.sqlite", isolation_level=None, check_same_thread=False
    )
    try:
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, other.execute, args=("COMMIT",))
        release.start()
        started = time.monotonic()
        assert found.put("waited", "issues", "application/json", BODY) is True
        assert time.monotonic() - started >= 0.25
        release.join()
        with found.engine.connect() as connection:
            autocheckpoint = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert autocheckpoint == 0, "the request path must not checkpoint inside a commit"
        assert [entry.delivery_id for entry in found.entries()] == ["waited"]
    finally:
        other.close()
        found.dispose()


def test_a_take_honours_its_limit(inbox: Inbox) -> None:
    """A pump round takes at most its batch, oldest first, on SQLite and on PostgreSQL (where
    a ``LIMIT ... FOR UPDATE SKIP LOCKED`` subquery inside the UPDATE can run once per row
    and take the whole backlog)."""
    ids = store(inbox, 5)
    with inbox.transaction() as connection:
        first = inbox.take_in(connection, limit=1)
    with inbox.transaction() as connection:
        second = inbox.take_in(connection, limit=2)
    assert [row.delivery_id for row in first] == ids[:1]
    assert [row.delivery_id for row in second] == ids[1:3]
    assert inbox.pending_count() == 2
