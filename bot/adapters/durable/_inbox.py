"""The webhook inbox: verified deliveries stored as received, one row each, before the 202.

Storing a delivery is one ``INSERT ... ON CONFLICT (delivery_id) DO NOTHING`` on a pooled
connection, so a redelivery of the same ``X-GitHub-Delivery`` changes nothing and the
request never waits for the durable engine. The inbox pump (``_pump.py``) later takes the
pending rows, starts their ingest runs and marks them done, in one transaction; done rows
stay for a while as an audit trail (what arrived, when, and when its run was started) and
are then pruned.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.adapters.durable._sqlite_writes import (
    begin_immediate,
    configure_sqlite_inbox,
    end_transaction,
)
from bot.adapters.durable._tables import INBOX, sqlalchemy_url

# How long a write may wait for SQLite's write lock: GitHub gives up after 10 s, and a 503
# it sees is better than a 202 it never gets.
LOCK_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Received:
    """One verified delivery to store: its ids, the content type and the body as received."""

    delivery_id: str
    event: str
    content_type: str
    body: bytes


@dataclass(frozen=True)
class InboxDelivery:
    """One stored delivery as the pump reads it: ids, the body as received, and its attempts."""

    delivery_id: str
    event: str
    content_type: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class InboxEntry:
    """One inbox row for listings (``specbot runs inbox``), without the body."""

    delivery_id: str
    event: str
    received_ms: int
    done_ms: int | None
    attempts: int
    error: str | None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _due(now_ms: int) -> sa.ColumnElement[bool]:
    """Rows whose run is still to be started and not waiting out a retry delay."""
    return sa.and_(INBOX.c.done_ms.is_(None), INBOX.c.next_attempt_ms <= now_ms)


def inbox_engine(database_url: str, *, background_checkpoints: bool = False) -> sa.Engine:
    """A small connection pool on the engine's database for the inbox.

    ``background_checkpoints`` (SQLite): these connections never checkpoint the write-ahead
    log themselves; the owner calls ``Inbox.checkpoint`` from another thread instead. By
    default SQLite checkpoints inside the commit that grows the log past 1,000 pages, so
    every few seconds one acknowledgement would wait for 4 MB to be copied and synced.
    """
    url = sqlalchemy_url(database_url)
    if not url.startswith("sqlite"):
        return sa.create_engine(
            url, pool_pre_ping=True, pool_size=4, max_overflow=8, pool_timeout=5.0
        )
    engine = sa.create_engine(url)
    configure_sqlite_inbox(engine, background_checkpoints=background_checkpoints)
    return engine


class Inbox:
    """Store deliveries once by id; hand them to the pump, retry and prune them.

    On SQLite every write transaction begins with ``BEGIN IMMEDIATE``, polled for the lock
    (see ``_sqlite_writes``). Share one ``Inbox`` between the request path and the pump of
    a process: their writes then also take turns on a lock in the process, which hands the
    turn over at once instead of through the database file.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        columns = ("delivery_id", "event", "content_type", "body", "received_ms")
        # RETURNING tells a new row from a known id (psycopg's rowcount is -1 here).
        put = (
            insert(INBOX)
            .values({name: sa.bindparam(name) for name in columns})
            .on_conflict_do_nothing(index_elements=["delivery_id"])
            .returning(INBOX.c.delivery_id)
        )
        # Compiled once into the driver's own SQL and run on the pooled driver connection:
        # through SQLAlchemy's execution layer this insert cost about 0.2 ms of CPU more than
        # the insert itself, paid on every acknowledgement.
        compiled = put.compile(dialect=engine.dialect)
        self._put_sql = compiled.string
        self._put_order: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positiontup else None
        )
        self._sqlite = engine.dialect.name == "sqlite"
        # PostgreSQL locks rows, not the database: no turn-taking needed there.
        self._turn: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self._sqlite else contextlib.nullcontext()
        )

    @property
    def engine(self) -> sa.Engine:
        """The connection pool the inbox uses."""
        return self._engine

    def dispose(self) -> None:
        """Close the pool's connections."""
        self._engine.dispose()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction on the inbox's database, committed on exit (see the class)."""
        if not self._sqlite:
            with self._engine.begin() as connection:
                yield connection
            return
        with self._turn, self._engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            begin_immediate(driver, wait_seconds=LOCK_WAIT_SECONDS)
            try:
                yield connection
                connection.commit()
            except BaseException:
                connection.rollback()
                end_transaction(driver, commit=False)
                raise
            end_transaction(driver, commit=True)  # when nothing went through SQLAlchemy

    # the request path ------------------------------------------------------------------------
    def put(self, delivery_id: str, event: str, content_type: str, body: bytes) -> bool:
        """Store one delivery, committed on return; False if its id was already stored."""
        return self.put_many([Received(delivery_id, event, content_type, body)])[0]

    def put_many(self, deliveries: list[Received]) -> list[bool]:
        """Store deliveries in one transaction (one commit); for each, False if already stored.

        A repeated id within the list is stored once, and False for its later copies.
        """
        received_ms = _now_ms()
        stored: list[bool] = []
        with self._turn:
            pooled = self._engine.raw_connection()  # from the pool; back to it on close
            driver = pooled.driver_connection
            try:
                if self._sqlite:
                    assert isinstance(driver, sqlite3.Connection)
                    begin_immediate(driver, wait_seconds=LOCK_WAIT_SECONDS)
                cursor = pooled.cursor()
                for item in deliveries:
                    values: dict[str, object] = {
                        "delivery_id": item.delivery_id,
                        "event": item.event,
                        "content_type": item.content_type,
                        "body": item.body,
                        "received_ms": received_ms,
                    }
                    order = self._put_order
                    cursor.execute(
                        self._put_sql, tuple(values[k] for k in order) if order else values
                    )
                    stored.append(cursor.fetchone() is not None)
                cursor.close()
                pooled.commit()
            except BaseException:
                pooled.rollback()
                raise
            finally:
                pooled.close()
        return stored

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the SQLite file without blocking writers (PASSIVE).

        Nothing to do on PostgreSQL. See ``inbox_engine(background_checkpoints=True)``.
        """
        if self._engine.dialect.name == "sqlite":
            with self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()

    def check(self) -> None:
        """Raise unless the inbox table can be read (the readiness probe)."""
        with self._engine.connect() as connection:
            connection.execute(sa.select(INBOX.c.delivery_id).limit(1)).first()

    # the pump --------------------------------------------------------------------------------
    def has_pending(self) -> bool:
        """Whether any delivery waits for its run now (a read: no write lock when idle)."""
        query = sa.select(INBOX.c.delivery_id).where(_due(_now_ms())).limit(1)
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def take_in(
        self, connection: sa.Connection, *, limit: int, only: list[str] | None = None
    ) -> list[InboxDelivery]:
        """Mark up to ``limit`` due deliveries done inside the caller's transaction, oldest
        first, and return them: the caller starts their runs before it commits.

        The rows stay locked until the commit: PostgreSQL's ``SKIP LOCKED`` lets another
        pump's concurrent take pass them by, and on SQLite this UPDATE takes the database's
        write lock first thing. If the caller's transaction rolls back, the rows are due
        again. ``only`` restricts the take to these ids.
        """
        now = _now_ms()
        due = _due(now)
        if only is not None:
            due = sa.and_(due, INBOX.c.delivery_id.in_(only))
        oldest = (
            sa.select(INBOX.c.delivery_id)
            .where(due)
            .order_by(INBOX.c.received_ms)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        chosen: Any = oldest.scalar_subquery()
        if connection.dialect.name == "postgresql":
            # Chosen first, in a statement of their own: inside the UPDATE, PostgreSQL may run a
            # ``LIMIT ... SKIP LOCKED`` subquery again for each row and take the whole backlog.
            chosen = list(connection.execute(oldest).scalars())
        take = (
            INBOX.update()
            # ``due`` again on the outer UPDATE: PostgreSQL re-checks it on a row that another
            # transaction changed while this one waited, so a row is never taken twice.
            .where(INBOX.c.delivery_id.in_(chosen), due)
            .values(done_ms=now, error=None)
            .returning(
                INBOX.c.delivery_id,
                INBOX.c.event,
                INBOX.c.content_type,
                INBOX.c.body,
                INBOX.c.attempts,
                INBOX.c.received_ms,
            )
        )
        rows = list(connection.execute(take).all())
        rows.sort(key=lambda row: (row.received_ms, row.delivery_id))
        return [
            InboxDelivery(
                row.delivery_id, row.event, row.content_type, bytes(row.body), row.attempts
            )
            for row in rows
        ]

    def give_up_in(self, connection: sa.Connection, delivery_id: str, error: str) -> None:
        """Record why a taken delivery has no run (it stays done: it would never get one)."""
        connection.execute(
            INBOX.update().where(INBOX.c.delivery_id == delivery_id).values(error=error)
        )

    def retry_later(self, delivery_id: str, error: str, *, delay_seconds: float) -> None:
        """Count a failed attempt; the delivery stays pending and is due after ``delay``."""
        with self.transaction() as connection:
            connection.execute(
                INBOX.update()
                .where(INBOX.c.delivery_id == delivery_id, INBOX.c.done_ms.is_(None))
                .values(
                    attempts=INBOX.c.attempts + 1,
                    error=error,
                    next_attempt_ms=_now_ms() + int(delay_seconds * 1000),
                )
            )

    def prune(self, *, older_than_seconds: float) -> int:
        """Delete rows done more than ``older_than_seconds`` ago; returns how many."""
        cutoff = _now_ms() - int(older_than_seconds * 1000)
        with self.transaction() as connection:
            return connection.execute(
                INBOX.delete().where(INBOX.c.done_ms.is_not(None), INBOX.c.done_ms < cutoff)
            ).rowcount

    # reading ---------------------------------------------------------------------------------
    def pending_count(self) -> int:
        """How many deliveries wait for their run to be started."""
        query = sa.select(sa.func.count()).where(INBOX.c.done_ms.is_(None))
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def entries(self, *, pending_only: bool = False, limit: int = 100) -> list[InboxEntry]:
        """The newest ``limit`` rows (or pending rows), newest first."""
        query = sa.select(
            INBOX.c.delivery_id,
            INBOX.c.event,
            INBOX.c.received_ms,
            INBOX.c.done_ms,
            INBOX.c.attempts,
            INBOX.c.error,
        )
        if pending_only:
            query = query.where(INBOX.c.done_ms.is_(None))
        query = query.order_by(INBOX.c.received_ms.desc(), INBOX.c.delivery_id).limit(limit)
        with self._engine.connect() as connection:
            return [
                InboxEntry(
                    row.delivery_id,
                    row.event,
                    row.received_ms,
                    row.done_ms,
                    row.attempts,
                    row.error,
                )
                for row in connection.execute(query)
            ]
