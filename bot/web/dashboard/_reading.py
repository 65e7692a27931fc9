"""What the pages read: the run index, a run's events and the engine's status, made into the
values the templates show (escaped by the templates; nothing here is HTML)."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode

import sqlalchemy as sa

from bot.adapters.durable import EventLog, RunIndex, RunQuery, RunRow
from bot.adapters.durable._run_index import STATES
from bot.orchestra import Event
from bot.run_links import run_signature
from bot.web.dashboard._text import plain_text
from bot.web.dashboard._viewer import Viewer

FLOWS = ("spec", "spec-approved", "review", "criteria", "follow-up", "ingest")
_FLOW = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")
PAGE_SIZE = 50
T = TypeVar("T")
EVENT_CHUNK = 5000  # events read from the log at a time
MAX_EVENTS = 50_000  # a page reads at most this many events of one run


class RunStore(Protocol):
    """What the pages read of a run from the engine (``Engine`` and ``EngineClient`` do)."""

    def status(self, workflow_id: str) -> str:
        """The run's status (KeyError: no such run)."""
        ...

    def steps(self, workflow_id: str) -> list[str]:
        """The run's recorded steps, in order."""
        ...

    def result(self, workflow_id: str, *, timeout: float = ...) -> Any:
        """The finished run's output."""
        ...


class BadFilter(ValueError):
    """A filter of the list that is not one it takes; the message says which."""


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as given (for the form) and as the index reads them."""

    repository: str = ""
    flow: str = ""
    state: str = ""
    since: str = ""
    until: str = ""
    before: str = ""

    def to_index(self, viewer: Viewer, limit: int = PAGE_SIZE) -> RunQuery:
        """The index query, restricted to what ``viewer`` may read."""
        return RunQuery(
            repository=self.repository or None,
            flow=self.flow or None,
            state=self.state or None,
            since_ms=_day_ms(self.since, "since") if self.since else None,
            until_ms=_day_ms(self.until, "until", next_day=True) if self.until else None,
            repositories=viewer.repositories,
            before=self.before or None,
            limit=limit,
        )

    def url(self, **changes: str) -> str:
        """``/runs`` with these filters (and changes)."""
        values = {**self.__dict__, **changes}
        kept = {key: value for key, value in values.items() if value}
        return "/runs" + (f"?{urlencode(kept)}" if kept else "")


def parse_filters(params: dict[str, str]) -> ListQuery:
    """The list's filters from query parameters; BadFilter names the first bad one."""
    query = ListQuery(
        **{key: params.get(key, "").strip() for key in ListQuery.__dataclass_fields__}
    )
    if query.repository and not _REPO.fullmatch(query.repository):
        raise BadFilter("repository: not an owner/name")
    if query.flow and not _FLOW.fullmatch(query.flow):
        raise BadFilter("flow: not a flow name")
    if query.state and query.state not in STATES:
        raise BadFilter(f"state: one of {', '.join(STATES)}")
    for name in ("since", "until"):
        if getattr(query, name):
            _day_ms(getattr(query, name), name)
    if len(query.before) > 400:
        raise BadFilter("before: not a page cursor")
    return query


def _day_ms(text: str, name: str, *, next_day: bool = False) -> int:
    try:
        day = date.fromisoformat(text)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if next_day:
            start += timedelta(days=1)
    except (ValueError, OverflowError):  # 9999-12-31 has no next day
        raise BadFilter(f"{name}: a date as YYYY-MM-DD") from None
    return int(start.timestamp() * 1000)


class Busy(Exception):
    """The dashboard's readers are all taken: the person is asked to try again shortly."""


# The dashboard reads on threads of its own, a few at a time, with a short queue: a burst of
# page views (a signed link is public on a public repository) waits here or is turned away,
# and never holds up the webhook's acknowledgement or the engine.
_READ_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="specbot-dashboard")
MAX_WAITING_READS = 16
_waiting = [0]


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on the dashboard's threads; Busy when too many reads wait."""
    if _waiting[0] >= MAX_WAITING_READS:
        raise Busy
    _waiting[0] += 1
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_READ_THREADS, functools.partial(function, *args))
    finally:
        _waiting[0] -= 1


def run_href(run_id: str, viewer: Viewer, secret: str) -> str:
    """The page of ``run_id`` (signed when the viewer came in through a signed link)."""
    path = f"/runs/{quote(run_id, safe='')}"
    if viewer.run_id is not None:
        path += f"?sig={run_signature(secret, run_id)}"
    return path


def issue_link(web_url: str, row: RunRow) -> str | None:
    """The issue or pull request on GitHub (GitHub redirects /issues/N of a pull request)."""
    if row.repository is None or row.number is None:
        return None
    kind = "pull" if row.flow in ("review", "criteria", "follow-up") else "issues"
    return f"{web_url.rstrip('/')}/{row.repository}/{kind}/{row.number}"


def when(ms: int) -> tuple[str, str]:
    """A time in the index as ISO 8601 and as people read it (UTC)."""
    at = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return at.isoformat(), at.strftime("%Y-%m-%d %H:%M:%S")


def ago(ms: int, now_ms: int) -> str:
    """How long ago ``ms`` was, as people say it."""
    seconds = max(0, now_ms - ms) // 1000
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return "just now" if seconds < 5 else f"{seconds} s ago"


def duration(row: RunRow, now_ms: int) -> str:
    """How long the run took, or has been running."""
    seconds = row.seconds if row.seconds is not None else max(0, now_ms - row.started_ms) / 1000
    text = f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    return text if row.finished_ms is not None else f"{text} so far"


def row_view(row: RunRow, viewer: Viewer, secret: str, web_url: str, now_ms: int) -> dict[str, Any]:
    """One row of the list as the template shows it."""
    iso, text = when(row.started_ms)
    return {
        **row.__dict__,
        "href": run_href(row.run_id, viewer, secret),
        "number_link": issue_link(web_url, row),
        "started_iso": iso,
        "started_text": text,
        "started_ago": ago(row.started_ms, now_ms),
        "duration": duration(row, now_ms),
        "outcome": plain_text(row.outcome, 500),
    }


class Reader:
    """Blocking reads of the index, the event log and the engine (run them off the loop)."""

    def __init__(self, tables: sa.Engine, store: RunStore) -> None:
        self.index = RunIndex(tables)
        self.events = EventLog(tables)
        self.store = store

    def page(self, query: RunQuery) -> tuple[list[RunRow], str | None]:
        """One page of the list, running rows corrected from the engine."""
        found = self.index.page(query)
        return self.index.reconcile(found.rows, self._status), found.next_cursor

    def run(self, run_id: str) -> RunRow | None:
        """The row of one run, corrected from the engine."""
        row = self.index.get(run_id)
        return None if row is None else self.index.reconcile([row], self._status)[0]

    def status(self, run_id: str) -> str | None:
        """The engine's status of a run (None: no such run)."""
        try:
            return self.store.status(run_id)
        except KeyError:
            return None

    def _status(self, run_id: str) -> str:
        return self.status(run_id) or "PENDING"

    def run_ids(self, run_id: str) -> list[str]:
        """A run and the runs it started (their events make its timeline)."""
        return [run_id, *(child.run_id for child in self.index.children(run_id))]

    def run_events(
        self, run_id: str, types: tuple[str, ...] | None = None
    ) -> tuple[list[tuple[int, Event]], bool]:
        """The events of a run and its children (of these ``types``), oldest first, and
        whether there were more than ``MAX_EVENTS`` (the rest is not read)."""
        ids = self.run_ids(run_id)
        found: list[tuple[int, Event]] = []
        while len(found) < MAX_EVENTS:
            after = found[-1][0] if found else 0
            chunk = self.events.run_events(ids, after_seq=after, limit=EVENT_CHUNK, types=types)
            found += chunk
            if len(chunk) < EVENT_CHUNK:
                return found, False
        more = self.events.run_events(ids, after_seq=found[-1][0], limit=1, types=types)
        return found, bool(more)


async def until_busy(stream: AsyncIterator[T]) -> AsyncIterator[T]:
    """The stream's items; it ends quietly (the browser reconnects) when the readers are busy."""
    try:
        async for item in stream:
            yield item
    except Busy:
        return
