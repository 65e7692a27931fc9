"""The webhook inbox: verified deliveries stored as received, one row each, before the 202.

Storing a delivery is one ``INSERT ... ON CONFLICT (delivery_id) DO NOTHING`` on a pooled
connection, so a redelivery of the same ``X-GitHub-Delivery`` changes nothing and the
request never waits for the durable engine. The inbox pump (``_pump.py``) later claims the
pending rows, starts their ingest runs and marks them done; done rows stay for a while as an
audit trail (what arrived, when, and when its run was started) and are then pruned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.adapters.durable._tables import INBOX, sqlalchemy_url

# How long a request may wait for SQLite's write lock: GitHub gives up after 10 s, and a 503
# it sees is better than a 202 it never gets.
INTAKE_BUSY_TIMEOUT_SECONDS = 5.0


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


def inbox_engine(database_url: str) -> sa.Engine:
    """A small connection pool on the engine's database for the inbox (the request path)."""
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": INTAKE_BUSY_TIMEOUT_SECONDS})
    return sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=8, pool_timeout=5.0)


class Inbox:
    """Store deliveries once by id; claim, finish, retry and prune them for the pump."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        # Built once: SQLAlchemy caches the compiled form, so each request only binds values.
        self._put = insert(INBOX).on_conflict_do_nothing(index_elements=["delivery_id"])

    @property
    def engine(self) -> sa.Engine:
        """The connection pool the inbox uses."""
        return self._engine

    def dispose(self) -> None:
        """Close the pool's connections."""
        self._engine.dispose()

    # the request path ------------------------------------------------------------------------
    def put(self, delivery_id: str, event: str, content_type: str, body: bytes) -> bool:
        """Store one delivery, committed on return; False if its id was already stored."""
        row = {
            "delivery_id": delivery_id,
            "event": event,
            "content_type": content_type,
            "body": body,
            "received_ms": _now_ms(),
        }
        with self._engine.begin() as connection:
            return connection.execute(self._put, row).rowcount == 1

    def check(self) -> None:
        """Raise unless the inbox table can be read (the readiness probe)."""
        with self._engine.connect() as connection:
            connection.execute(sa.select(INBOX.c.delivery_id).limit(1)).first()

    # the pump --------------------------------------------------------------------------------
    def claim(self, owner: str, *, limit: int, lease_seconds: float) -> list[InboxDelivery]:
        """Lease up to ``limit`` pending deliveries to ``owner``, oldest first.

        A row is pending while not done and its lease (if any) has run out. The UPDATE
        re-checks both conditions on every row it changes, and PostgreSQL's ``SKIP LOCKED``
        lets concurrent claims pass each other's rows, so two pumps never lease one row at
        once; on SQLite the write lock serialises claims.
        """
        now = _now_ms()
        pending = sa.and_(INBOX.c.done_ms.is_(None), INBOX.c.lease_until_ms <= now)
        oldest = (
            sa.select(INBOX.c.delivery_id)
            .where(pending)
            .order_by(INBOX.c.received_ms)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            INBOX.update()
            .where(INBOX.c.delivery_id.in_(oldest.scalar_subquery()), pending)
            .values(claimed_by=owner, lease_until_ms=now + int(lease_seconds * 1000))
            .returning(
                INBOX.c.delivery_id,
                INBOX.c.event,
                INBOX.c.content_type,
                INBOX.c.body,
                INBOX.c.attempts,
                INBOX.c.received_ms,
            )
        )
        with self._engine.begin() as connection:
            rows = list(connection.execute(claim).all())
        rows.sort(key=lambda row: (row.received_ms, row.delivery_id))
        return [
            InboxDelivery(
                row.delivery_id, row.event, row.content_type, bytes(row.body), row.attempts
            )
            for row in rows
        ]

    def finish(self, delivery_ids: list[str], *, error: str | None = None) -> None:
        """Mark deliveries done (their runs exist), or given up on with ``error``."""
        if not delivery_ids:
            return
        with self._engine.begin() as connection:
            self.finish_in(connection, delivery_ids, error=error)

    def finish_in(
        self, connection: sa.Connection, delivery_ids: list[str], *, error: str | None = None
    ) -> None:
        """``finish`` inside the caller's transaction (the one that enqueued the runs)."""
        connection.execute(
            INBOX.update()
            .where(INBOX.c.delivery_id.in_(delivery_ids), INBOX.c.done_ms.is_(None))
            .values(done_ms=_now_ms(), claimed_by=None, lease_until_ms=0, error=error)
        )

    def retry_later(self, delivery_id: str, error: str, *, delay_seconds: float) -> None:
        """Count a failed attempt and keep the delivery pending, claimable after ``delay``."""
        with self._engine.begin() as connection:
            connection.execute(
                INBOX.update()
                .where(INBOX.c.delivery_id == delivery_id, INBOX.c.done_ms.is_(None))
                .values(
                    attempts=INBOX.c.attempts + 1,
                    error=error,
                    claimed_by=None,
                    lease_until_ms=_now_ms() + int(delay_seconds * 1000),
                )
            )

    def release(self, owner: str) -> int:
        """Give back ``owner``'s unfinished leases (a pump stopping); returns how many."""
        with self._engine.begin() as connection:
            return connection.execute(
                INBOX.update()
                .where(INBOX.c.claimed_by == owner, INBOX.c.done_ms.is_(None))
                .values(claimed_by=None, lease_until_ms=0)
            ).rowcount

    def prune(self, *, older_than_seconds: float) -> int:
        """Delete rows done more than ``older_than_seconds`` ago; returns how many."""
        cutoff = _now_ms() - int(older_than_seconds * 1000)
        with self._engine.begin() as connection:
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
