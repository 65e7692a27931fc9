"""specbot's own tables beside the engine's: the event log, worker heartbeats, the webhook inbox."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.orchestra import Event

METADATA = sa.MetaData()

EVENTS = sa.Table(
    "specbot_events",
    METADATA,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(80), nullable=False, unique=True),
    sa.Column("event_type", sa.String(200), nullable=False, index=True),
    sa.Column("timestamp", sa.String(40), nullable=False),
    sa.Column("source_agent", sa.String(200), nullable=False),
    sa.Column("correlation_id", sa.String(80), nullable=False, index=True),
    sa.Column("causation_id", sa.String(80), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
)

WORKERS = sa.Table(
    "specbot_workers",
    METADATA,
    sa.Column("executor_id", sa.String(200), primary_key=True),
    sa.Column("application_version", sa.String(100), nullable=False),
    sa.Column("started_ms", sa.BigInteger, nullable=False),
    sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
)

# Verified webhook deliveries as received, stored before the 202 and turned into ingest runs
# by the inbox pump (see ``_inbox.py``). A row is pending until ``done_ms`` is set.
INBOX = sa.Table(
    "specbot_inbox",
    METADATA,
    sa.Column("delivery_id", sa.String(100), primary_key=True),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("content_type", sa.String(200), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    # After a failed attempt to start its run, the row waits until then (backoff).
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("done_ms", sa.BigInteger, nullable=True),
    # The pump takes pending rows oldest first; pruning reads old done rows.
    sa.Index("ix_specbot_inbox_pending", "done_ms", "received_ms"),
)


def sqlalchemy_url(database_url: str) -> str:
    """The URL for SQLAlchemy: PostgreSQL through psycopg 3, the driver specbot ships with."""
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return database_url


def create_engine(database_url: str) -> sa.Engine:
    """A connection pool for specbot's tables, waiting on SQLite locks instead of failing."""
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": 30})
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)


def probe_database(database_url: str, *, timeout_seconds: float = 3.0) -> None:
    """Open a fresh connection and run ``SELECT 1``; raise if the database does not answer.

    A fresh connection, not the pool's: a pooled SQLite connection keeps working on a file
    that was deleted or moved away, which would report a database that is gone as ready.
    SQLite is opened read-write without creating the file, so a probe never makes a new,
    empty database where the real one was.
    """
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if not path:
            raise ValueError(f"no SQLite file in {database_url!r}")
        uri = f"file:{Path(path).resolve()}?mode=rw"
        with closing(sqlite3.connect(uri, uri=True, timeout=timeout_seconds)) as connection:
            connection.execute("SELECT 1").fetchone()
        return
    probe = sa.create_engine(
        url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": int(timeout_seconds)}
    )
    try:
        with probe.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        probe.dispose()


def use_write_ahead_log(engine: sa.Engine) -> None:
    """Switch a SQLite database to WAL (kept in the file; nothing to do on PostgreSQL).

    In the default rollback-journal mode a reader blocks the writer and every commit syncs
    two files; the web server's enqueues then queue up behind the workers' dequeues. With WAL,
    readers and the one writer proceed together and a commit appends to one file.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def create_tables(engine: sa.Engine) -> None:
    """Create specbot's tables if missing; safe when several workers start at once."""
    use_write_ahead_log(engine)
    for attempt in range(3):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Serialise concurrent CREATE TABLEs: PostgreSQL's catalog is not.
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(74657301)"))
                METADATA.create_all(connection)
            return
        except sa.exc.DBAPIError:
            if attempt == 2:
                raise
            time.sleep(0.1)  # another process created them between our check and create


def _now_ms() -> int:
    return int(time.time() * 1000)


class EventLog:
    """The append-only event log: events are added once (by id) and read in arrival order."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def append(self, event: Event) -> bool:
        """Store ``event``; returns False if an event with its id is already stored."""
        row = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "timestamp": event.timestamp.isoformat(),
            "source_agent": event.source_agent,
            "correlation_id": event.correlation_id,
            "causation_id": event.causation_id,
            "payload": json.dumps(event.payload, sort_keys=True),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(EVENTS.insert().values(**row))
        except sa.exc.IntegrityError:
            return False
        return True

    def contains(self, event_id: str) -> bool:
        """Whether an event with this id is stored."""
        query = sa.select(EVENTS.c.seq).where(EVENTS.c.event_id == event_id)
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def count_chain(self, correlation_id: str) -> int:
        """How many events the chain ``correlation_id`` holds."""
        query = sa.select(sa.func.count()).where(EVENTS.c.correlation_id == correlation_id)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def chain(self, correlation_id: str) -> list[Event]:
        """Every event of one chain (one run), in the order they were stored."""
        query = (
            sa.select(EVENTS)
            .where(EVENTS.c.correlation_id == correlation_id)
            .order_by(EVENTS.c.seq)
        )
        return list(self._read(query))

    def run_events(
        self,
        run_ids: list[str],
        *,
        after_seq: int = 0,
        limit: int = 5000,
        types: tuple[str, ...] | None = None,
    ) -> list[tuple[int, Event]]:
        """The events of these runs (a run and the runs it started) after ``after_seq``, of
        these ``types`` (all by default), with their sequence numbers, in stored order."""
        query = (
            sa.select(EVENTS)
            .where(EVENTS.c.correlation_id.in_(run_ids), EVENTS.c.seq > after_seq)
            .order_by(EVENTS.c.seq)
            .limit(limit)
        )
        if types is not None:
            query = query.where(EVENTS.c.event_type.in_(types))
        with self._engine.connect() as connection:
            return [(int(row["seq"]), _event(row)) for row in connection.execute(query).mappings()]

    def payloads(self, run_ids: list[str], event_type: str) -> list[dict[str, Any]]:
        """The payloads of one type of event of these runs, in the order they were stored."""
        query = (
            sa.select(EVENTS.c.payload)
            .where(EVENTS.c.correlation_id.in_(run_ids), EVENTS.c.event_type == event_type)
            .order_by(EVENTS.c.seq)
        )
        with self._engine.connect() as connection:
            found = [json.loads(text) for text in connection.execute(query).scalars()]
        return [payload for payload in found if isinstance(payload, dict)]

    def of_type(self, event_type: str, limit: int = 100) -> list[Event]:
        """The latest events of one type, oldest first."""
        query = (
            sa.select(EVENTS)
            .where(EVENTS.c.event_type == event_type)
            .order_by(EVENTS.c.seq.desc())
            .limit(limit)
        )
        return list(reversed(list(self._read(query))))

    def _read(self, query: sa.Select[tuple[object, ...]]) -> Iterator[Event]:
        with self._engine.connect() as connection:
            for row in connection.execute(query).mappings():
                yield _event(row)


def _event(row: sa.RowMapping) -> Event:
    return Event(
        event_id=row["event_id"],
        event_type=row["event_type"],
        timestamp=row["timestamp"],
        source_agent=row["source_agent"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        payload=json.loads(row["payload"]),
    )


class WorkerRoster:
    """Live workers' heartbeats, and the atomic claim of a worker that stopped beating."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def beat(self, executor_id: str, application_version: str) -> None:
        """Record that ``executor_id`` is alive now."""
        now = _now_ms()
        with self._engine.begin() as connection:
            updated = connection.execute(
                WORKERS.update()
                .where(WORKERS.c.executor_id == executor_id)
                .values(last_seen_ms=now, application_version=application_version)
            ).rowcount
            if not updated:
                connection.execute(
                    WORKERS.insert().values(
                        executor_id=executor_id,
                        application_version=application_version,
                        started_ms=now,
                        last_seen_ms=now,
                    )
                )

    def leave(self, executor_id: str) -> None:
        """Remove ``executor_id`` after a clean shutdown (nothing of it is left to recover)."""
        with self._engine.begin() as connection:
            connection.execute(WORKERS.delete().where(WORKERS.c.executor_id == executor_id))

    def release(self, executor_id: str, application_version: str) -> None:
        """Put a claimed worker back as long dead, so the next check claims it again."""
        with self._engine.begin() as connection:
            connection.execute(
                WORKERS.insert().values(
                    executor_id=executor_id,
                    application_version=application_version,
                    started_ms=0,
                    last_seen_ms=0,
                )
            )

    def live(self) -> list[str]:
        """Executor ids with a heartbeat on record."""
        with self._engine.connect() as connection:
            return list(connection.execute(sa.select(WORKERS.c.executor_id)).scalars())

    def claim_dead(self, silent_for_seconds: float, *, me: str) -> list[str]:
        """Claim workers silent for longer than the limit; each is claimed by one caller only."""
        cutoff = _now_ms() - int(silent_for_seconds * 1000)
        query = sa.select(WORKERS.c.executor_id).where(
            WORKERS.c.last_seen_ms < cutoff, WORKERS.c.executor_id != me
        )
        claimed: list[str] = []
        with self._engine.connect() as connection:
            candidates = list(connection.execute(query).scalars())
        for executor_id in candidates:
            with self._engine.begin() as connection:
                deleted = connection.execute(
                    WORKERS.delete().where(
                        WORKERS.c.executor_id == executor_id, WORKERS.c.last_seen_ms < cutoff
                    )
                ).rowcount
            if deleted == 1:
                claimed.append(executor_id)
        return claimed


RATE_EVENTS = sa.Table(
    "specbot_rate_events",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, index=True),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
)


class RateGate:
    """A sliding-window rate limit shared by every process on the database.

    ``acquire(name)`` returns once a call under ``name`` is allowed (at most ``limit`` in any
    ``period_seconds``), waiting as long as needed. It works inside steps, where enqueueing is
    not allowed, so a model or GitHub call in any stage respects the same budget.
    """

    def __init__(self, engine: sa.Engine, limits: dict[str, tuple[int, float]]) -> None:
        self._engine = engine
        self._limits = limits

    def acquire(self, name: str) -> float:
        """Wait for a slot under ``name``; returns the seconds waited."""
        if name not in self._limits:
            raise KeyError(f"no rate limit named {name!r}")
        limit, period = self._limits[name]
        waited = 0.0
        while True:
            pause = self._try(name, limit, int(period * 1000))
            if pause <= 0:
                return waited
            time.sleep(pause)
            waited += pause

    def _try(self, name: str, limit: int, period_ms: int) -> float:
        now = _now_ms()
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                key = sa.func.hashtext(name)
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
            # The delete comes first: on SQLite it takes the write lock for the whole check.
            connection.execute(
                RATE_EVENTS.delete().where(
                    RATE_EVENTS.c.name == name, RATE_EVENTS.c.at_ms <= now - period_ms
                )
            )
            window: list[int] = list(
                connection.execute(
                    sa.select(RATE_EVENTS.c.at_ms)
                    .where(RATE_EVENTS.c.name == name)
                    .order_by(RATE_EVENTS.c.at_ms)
                ).scalars()
            )
            if len(window) < limit:
                connection.execute(RATE_EVENTS.insert().values(name=name, at_ms=now))
                return 0.0
        oldest_counted = int(window[len(window) - limit])
        return max((oldest_counted + period_ms - now) / 1000, 0.005)
