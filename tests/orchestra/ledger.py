"""A side-effect ledger for tests: a SQLite file that worker processes and the test share."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

LEDGER_ENV = "SPECBOT_TEST_LEDGER"


class Ledger:
    """Rows of (kind, key, who, at) appended by stages and agents, counted by tests."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        with self._connect() as db:
            db.execute("create table if not exists ledger (kind text, key text, who text, at real)")

    @classmethod
    def from_env(cls) -> Ledger:
        return cls(os.environ[LEDGER_ENV])

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def record(self, kind: str, key: str, who: str = "") -> None:
        with self._connect() as db:
            db.execute("insert into ledger values (?, ?, ?, ?)", (kind, key, who, time.time()))

    def count(self, kind: str, key: str | None = None) -> int:
        query = "select count(*) from ledger where kind = ?"
        args: tuple[str, ...] = (kind,)
        if key is not None:
            query += " and key = ?"
            args = (kind, key)
        with self._connect() as db:
            return int(db.execute(query, args).fetchone()[0])

    def rows(self, kind: str) -> list[tuple[str, str, float]]:
        with self._connect() as db:
            return list(
                db.execute("select key, who, at from ledger where kind = ? order by at", (kind,))
            )

    def wait_for(self, kind: str, key: str, *, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.count(kind, key) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"ledger never got {count} x {kind} {key}")
            time.sleep(0.05)
