"""The run index: one row per pipeline run, for the dashboard's list and the metrics.

The engine's own tables know a run's status but not what it is about (repository, issue or
pull request) or what it cost; reading those out of stored inputs and outputs for 10,000 runs
is slow. The pipeline workflow writes this row when it starts, after each stage and when it
ends, so the list is one indexed query, newest first, with keyset paging.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.adapters.durable._tables import METADATA

STATES = ("running", "succeeded", "failed", "cancelled", "interrupted")
# The engine's final statuses, as the index names them.
_ENDED = {
    "SUCCESS": "succeeded",
    "ERROR": "failed",
    "CANCELLED": "cancelled",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed",
}
_OUTCOME_CHARS = 500

RUNS = sa.Table(
    "specbot_runs",
    METADATA,
    sa.Column("run_id", sa.String(300), primary_key=True),
    sa.Column("parent", sa.String(300), nullable=True),
    sa.Column("flow", sa.String(100), nullable=False),
    sa.Column("repository", sa.String(200), nullable=True),
    sa.Column("repo_key", sa.String(200), nullable=True),
    sa.Column("number", sa.Integer, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("stage", sa.String(100), nullable=False, server_default=""),
    sa.Column("started_ms", sa.BigInteger, nullable=False),
    sa.Column("finished_ms", sa.BigInteger, nullable=True),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("input_tokens", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("output_tokens", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("model_calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("outcome", sa.Text, nullable=False, server_default=""),
    # The list pages newest first under each filter; the run id breaks ties in the cursor.
    sa.Index("ix_specbot_runs_started", "parent", "started_ms", "run_id"),
    sa.Index("ix_specbot_runs_repo", "repo_key", "started_ms"),
    sa.Index("ix_specbot_runs_flow", "flow", "started_ms"),
    sa.Index("ix_specbot_runs_state", "state", "started_ms"),
)


@dataclass(frozen=True)
class RunRow:
    """One run as the list shows it."""

    run_id: str
    parent: str | None
    flow: str
    repository: str | None
    number: int | None
    state: str
    stage: str
    started_ms: int
    finished_ms: int | None
    cost_usd: float
    input_tokens: int
    output_tokens: int
    model_calls: int
    outcome: str

    @property
    def seconds(self) -> float | None:
        """How long the run took (None while it runs)."""
        if self.finished_ms is None:
            return None
        return max(0.0, (self.finished_ms - self.started_ms) / 1000)


@dataclass(frozen=True)
class RunQuery:
    """Filters of the list: all optional; ``repositories`` is what the viewer may read."""

    repository: str | None = None
    flow: str | None = None
    state: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    repositories: frozenset[str] | None = None
    before: str | None = None  # the cursor of the previous page's last row
    limit: int = 50


@dataclass(frozen=True)
class RunPage:
    """One page of runs, newest first, and the cursor of the next page (None: the last)."""

    rows: list[RunRow]
    next_cursor: str | None


@dataclass(frozen=True)
class Usage:
    """What a run spent so far."""

    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    model_calls: int = 0


def subject(data: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The repository and issue or pull request number a pipeline's data is about (a
    delivery's: its payload's)."""
    payload = data.get("payload")
    if isinstance(payload, Mapping) and "repo" not in data:
        return _payload_subject(payload)
    repo = data.get("repo")
    repository = repo[:200] if isinstance(repo, str) and "/" in repo else None
    return repository, _first_number(data, ("issue", "pull", "number"))


def _payload_subject(payload: Mapping[str, Any]) -> tuple[str | None, int | None]:
    found = payload.get("repository")
    name = found.get("full_name") if isinstance(found, Mapping) else None
    repository = name[:200] if isinstance(name, str) and "/" in name else None
    for key in ("issue", "pull_request"):
        item = payload.get(key)
        if isinstance(item, Mapping):
            return repository, _first_number(item, ("number",))
    return repository, _first_number(payload, ("number",))


def _first_number(data: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        number = data.get(key)
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 2**31:
            return number
    return None


def encode_cursor(row: RunRow) -> str:
    """The cursor after ``row``: its start time and id."""
    return f"{row.started_ms}:{row.run_id}"


def _decode_cursor(cursor: str) -> tuple[int, str] | None:
    started, _, run_id = cursor.partition(":")
    # ASCII digits that fit a timestamp: "²" is a digit to isdigit(), 10**30 overflows SQLite
    if not (started.isascii() and started.isdigit() and len(started) <= 15) or not run_id:
        return None
    return int(started), run_id


def _now_ms() -> int:
    return int(time.time() * 1000)


class RunIndex:
    """Reads and writes ``specbot_runs``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def started(
        self, run_id: str, flow: str, data: Mapping[str, Any], *, parent: str | None = None
    ) -> None:
        """Record that a run started (a resumed run keeps its first start time)."""
        repository, number = subject(data)
        row = {
            "run_id": run_id,
            "parent": parent,
            "flow": flow,
            "repository": repository,
            "repo_key": repository.lower() if repository else None,
            "number": number,
            "state": "running",
            "started_ms": _now_ms(),
        }
        with self._engine.begin() as connection:
            updated = connection.execute(
                RUNS.update()
                .where(RUNS.c.run_id == run_id)
                .values(state="running", finished_ms=None)
            ).rowcount
            if not updated:
                try:
                    with connection.begin_nested():
                        connection.execute(RUNS.insert().values(**row))
                except sa.exc.IntegrityError:
                    pass  # another worker recorded the same start a moment ago

    def progress(self, run_id: str, stage: str, usage: Usage) -> None:
        """Record the stage a run is in and what it spent so far."""
        with self._engine.begin() as connection:
            connection.execute(
                RUNS.update().where(RUNS.c.run_id == run_id).values(stage=stage, **_usage(usage))
            )

    def finished(self, run_id: str, state: str, outcome: str, usage: Usage) -> None:
        """Record how a run ended (a row already marked cancelled stays cancelled)."""
        if state not in STATES:
            raise ValueError(f"not a run state: {state!r}")
        ended = {"state": state, "outcome": outcome[:_OUTCOME_CHARS], "finished_ms": _now_ms()}
        with self._engine.begin() as connection:
            connection.execute(RUNS.update().where(RUNS.c.run_id == run_id).values(**_usage(usage)))
            connection.execute(
                RUNS.update()
                .where(RUNS.c.run_id == run_id, RUNS.c.state != "cancelled")
                .values(**ended)
            )

    def cancelled(self, run_id: str) -> None:
        """Record that a run and the runs it started were cancelled (a cancelled run that was
        waiting never runs on to record its own end; one that was working may, later, and
        then keeps this state)."""
        with self._engine.begin() as connection:
            connection.execute(
                RUNS.update()
                .where(
                    sa.or_(RUNS.c.run_id == run_id, RUNS.c.parent == run_id),
                    RUNS.c.state == "running",
                )
                .values(state="cancelled", outcome="cancelled", finished_ms=_now_ms())
            )

    def settle(self, run_id: str, state: str) -> None:
        """Correct a row the engine knows ended otherwise (cancelled, or killed and failed)."""
        with self._engine.begin() as connection:
            connection.execute(
                RUNS.update()
                .where(RUNS.c.run_id == run_id, RUNS.c.state == "running")
                .values(state=state, finished_ms=_now_ms())
            )

    def reconcile(self, rows: list[RunRow], status: Callable[[str], str]) -> list[RunRow]:
        """``rows`` with those still running corrected from the engine's ``status``: a run
        cancelled while it waited, or whose worker was killed, never records its own end."""
        fixed: list[RunRow] = []
        for row in rows:
            ended = _ENDED.get(status(row.run_id)) if row.state == "running" else None
            if ended is not None:
                self.settle(row.run_id, ended)
                row = self.get(row.run_id) or row
            fixed.append(row)
        return fixed

    def get(self, run_id: str) -> RunRow | None:
        """The row of ``run_id``."""
        with self._engine.connect() as connection:
            found = connection.execute(sa.select(RUNS).where(RUNS.c.run_id == run_id)).first()
        return None if found is None else _row(found._mapping)

    def children(self, run_id: str) -> list[RunRow]:
        """The runs ``run_id`` started as stages, oldest first."""
        query = sa.select(RUNS).where(RUNS.c.parent == run_id).order_by(RUNS.c.started_ms)
        with self._engine.connect() as connection:
            return [_row(found._mapping) for found in connection.execute(query)]

    def page(self, query: RunQuery) -> RunPage:
        """One page of top-level runs, newest first, under the query's filters (ValueError for a
        cursor this index did not make)."""
        limit = max(1, min(query.limit, 200))
        select = sa.select(RUNS).where(RUNS.c.parent.is_(None))
        for condition in _conditions(query):
            select = select.where(condition)
        select = select.order_by(RUNS.c.started_ms.desc(), RUNS.c.run_id.desc()).limit(limit + 1)
        with self._engine.connect() as connection:
            rows = [_row(found._mapping) for found in connection.execute(select)]
        more = len(rows) > limit
        rows = rows[:limit]
        return RunPage(rows, encode_cursor(rows[-1]) if more and rows else None)

    def counts(self) -> list[tuple[str, str, int]]:
        """How many top-level runs each flow has in each state."""
        query = (
            sa.select(RUNS.c.flow, RUNS.c.state, sa.func.count())
            .where(RUNS.c.parent.is_(None))
            .group_by(RUNS.c.flow, RUNS.c.state)
        )
        with self._engine.connect() as connection:
            return [(str(f), str(s), int(n)) for f, s, n in connection.execute(query)]

    def oldest_running_ms(self) -> int | None:
        """When the longest-running top-level run started (None: nothing runs)."""
        query = sa.select(sa.func.min(RUNS.c.started_ms)).where(
            RUNS.c.parent.is_(None), RUNS.c.state == "running"
        )
        with self._engine.connect() as connection:
            value = connection.execute(query).scalar()
        return None if value is None else int(value)

    def repositories(self) -> list[str]:
        """Every repository with a run, for the list's filter."""
        query = sa.select(RUNS.c.repository).where(RUNS.c.repository.is_not(None)).distinct()
        with self._engine.connect() as connection:
            return sorted(str(name) for name in connection.execute(query).scalars())


def _conditions(query: RunQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.repository:
        conditions.append(RUNS.c.repo_key == query.repository.lower())
    if query.repositories is not None:
        conditions.append(RUNS.c.repo_key.in_(sorted(query.repositories)))
    if query.flow:
        conditions.append(RUNS.c.flow == query.flow)
    if query.state:
        conditions.append(RUNS.c.state == query.state)
    if query.since_ms is not None:
        conditions.append(RUNS.c.started_ms >= query.since_ms)
    if query.until_ms is not None:
        conditions.append(RUNS.c.started_ms < query.until_ms)
    if query.before:
        cursor = _decode_cursor(query.before)
        if cursor is None:
            raise ValueError("the page cursor is not one this list made")
        started, run_id = cursor
        conditions.append(
            sa.or_(
                RUNS.c.started_ms < started,
                sa.and_(RUNS.c.started_ms == started, RUNS.c.run_id < run_id),
            )
        )
    return conditions


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "cost_usd": usage.cost_usd,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "model_calls": usage.model_calls,
    }


def _row(found: sa.RowMapping) -> RunRow:
    return RunRow(
        run_id=found["run_id"],
        parent=found["parent"],
        flow=found["flow"],
        repository=found["repository"],
        number=found["number"],
        state=found["state"],
        stage=found["stage"] or "",
        started_ms=int(found["started_ms"]),
        finished_ms=None if found["finished_ms"] is None else int(found["finished_ms"]),
        cost_usd=float(found["cost_usd"] or 0.0),
        input_tokens=int(found["input_tokens"] or 0),
        output_tokens=int(found["output_tokens"] or 0),
        model_calls=int(found["model_calls"] or 0),
        outcome=found["outcome"] or "",
    )
