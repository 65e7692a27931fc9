"""The dashboard's routes: ``/runs`` (the list), ``/runs/<id>`` (one run), their live updates
(server-sent events) and the run's SVG timeline.

Two ways in: a signed-in viewer (``Access``) sees the runs of the repositories they may read;
the signed link of one run (``?sig=``, from its tracking comment) opens that run's page and
its live parts, nothing else. A run the viewer may not see answers exactly as a run that does
not exist (404), so its id says nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable
from importlib import resources
from typing import Any

import jinja2
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sse_starlette.sse import EventSourceResponse

from bot.adapters.durable import RunRow
from bot.run_links import verify_run_signature
from bot.settings import Settings
from bot.web.dashboard._list import HEADERS, LIVE_SECONDS, Handlers, ListPages, wants_json
from bot.web.dashboard._reading import Busy, Reader, RunStore, duration, off_loop, until_busy
from bot.web.dashboard._run_view import CHART_EVENTS, chart, render_entry, run_context
from bot.web.dashboard._viewer import Access, Viewer

POLL_SECONDS = 0.5
EVENTS_PER_POLL = 500
_STATIC = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
NOT_FOUND = {"status": "not found"}
# The engine's statuses of a run that still runs (or waits to).
_UNFINISHED = ("PENDING", "ENQUEUED")


def templates() -> jinja2.Environment:
    """The dashboard's templates, autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def dashboard_router(
    *, settings: Settings, store: RunStore, tables: sa.Engine, access: Access
) -> APIRouter:
    """The routes of the list, the run pages, their live updates and the static files."""
    secret = (
        settings.github_webhook_secret.get_secret_value() if settings.github_webhook_secret else ""
    )
    reader = Reader(tables, store)
    env = templates()
    router = APIRouter()
    listing = ListPages(settings, reader, env, access, secret)
    pages = _RunPages(settings, reader, env, access, secret)

    @router.get("/dashboard-static/{name}")
    async def static(name: str) -> Response:
        if name not in _STATIC:
            return Response(status_code=404)
        text = resources.files("bot.web.dashboard").joinpath(f"static/{name}").read_text()
        return Response(text, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})

    @router.get("/runs")
    async def runs(request: Request) -> Response:
        return await _unless_busy(listing.runs(request))

    @router.get("/runs/live")
    async def runs_live(request: Request) -> Response:
        return await _unless_busy(listing.runs_live(request))

    # A run id holds "/", ":", "#" and "@" (a review's reviewers run is
    # "review:o/r#2@<sha>/reviewers"): one path route, the suffix names the part.
    @router.get("/runs/{run_path:path}")
    async def run(run_path: str, request: Request) -> Response:
        for suffix, handler in (("/events", pages.run_live), ("/timeline.svg", pages.run_svg)):
            if run_path.endswith(suffix):
                return await _unless_busy(handler(run_path.removesuffix(suffix), request))
        return await _unless_busy(pages.run_page(run_path, request))

    return router


class _RunPages(Handlers):
    """One run's handlers: its page, its chart and its live events."""

    async def _run_viewer(
        self, run_id: str, request: Request
    ) -> tuple[Viewer, RunRow | None] | None:
        """Who looks at ``run_id`` and its row, or None when they may not (or it is not)."""
        signature = request.query_params.get("sig")
        viewer: Viewer | None = None
        if signature and self.secret and verify_run_signature(self.secret, run_id, signature):
            viewer = Viewer(
                "link", run_id=run_id, show_content=self.settings.dashboard_show_content
            )
        elif self.access.enabled:
            viewer = await self.access.viewer(request)
        if viewer is None:
            return None
        row = await off_loop(self.reader.run, run_id)
        if row is None and await off_loop(self.reader.status, run_id) is None:
            return None
        if not viewer.can_see_run(run_id, row.repository if row is not None else None):
            return None
        return viewer, row

    async def run_page(self, run_id: str, request: Request) -> Response:
        """The run's page, or ``?format=json``."""
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        viewer, row = found
        context = await off_loop(
            run_context, self.reader, run_id, row, viewer, self.settings, self.secret
        )
        if wants_json(request):
            return JSONResponse(context["json"], headers=HEADERS)
        return HTMLResponse(self.env.get_template("run.html").render(**context), headers=HEADERS)

    async def run_svg(self, run_id: str, request: Request) -> Response:
        """The run's Gantt chart alone (the page redraws it from here as the run goes on)."""
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        _, svg, _ = await off_loop(chart, self.reader, run_id, found[1], CHART_EVENTS)
        return Response(svg, media_type="image/svg+xml", headers=HEADERS)

    def _events_after(self, run_ids: list[str], seq: int) -> list[tuple[int, Any]]:
        return self.reader.events.run_events(run_ids, after_seq=seq, limit=EVENTS_PER_POLL)

    async def run_live(self, run_id: str, request: Request) -> Response:
        """New timeline entries (from ``after`` or ``Last-Event-ID``) and the run's state, until
        the run has ended and nothing more came."""
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        viewer = found[0]
        template = self.env.get_template("_entry.html")

        async def stream() -> AsyncIterator[dict[str, str]]:
            seen, quiet, last_state = _after(request), 0, ""
            ends = time.monotonic() + LIVE_SECONDS
            while time.monotonic() < ends:
                ids = await off_loop(self.reader.run_ids, run_id)
                events = await off_loop(self._events_after, ids, seen)
                for seq, event in events:
                    seen = seq
                    entry = render_entry(template, seq, event, viewer)
                    yield {"event": "entry", "id": str(seq), "data": entry}
                row = await off_loop(self.reader.run, run_id)
                state = _facts(row)
                if state != last_state:
                    last_state = state
                    yield {"event": "state", "data": state}
                # Two quiet polls after the end: events written just before it are sent too.
                quiet = quiet + 1 if await self._ended(run_id, row) and not events else 0
                if quiet >= 2:
                    yield {"event": "end", "data": "{}"}
                    return
                await asyncio.sleep(POLL_SECONDS)

        return EventSourceResponse(until_busy(stream()), headers={"Cache-Control": "no-store"})

    async def _ended(self, run_id: str, row: RunRow | None) -> bool:
        if row is not None:
            return row.state != "running"
        status = await off_loop(self.reader.status, run_id)
        return status not in _UNFINISHED


async def _unless_busy(answer: Awaitable[Response]) -> Response:
    """The page, or 503 with Retry-After when the dashboard's readers are all taken."""
    try:
        return await answer
    except Busy:
        return JSONResponse(
            {"status": "busy: too many pages are being read, try again shortly"},
            status_code=503,
            headers={"Retry-After": "5", "Cache-Control": "no-store"},
        )


def _after(request: Request) -> int:
    """Where a stream starts: the browser's ``Last-Event-ID`` on a reconnect, else ``after``."""
    for value in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if value and value.isascii() and value.isdigit() and len(value) < 19:
            return int(value)
    return 0


def _facts(row: RunRow | None) -> str:
    """The header's figures that change while a run runs (its duration once it ended)."""
    if row is None:
        return json.dumps({"state": "pending", "cost": "", "duration": ""})
    cost = (
        f"${row.cost_usd:.4f} · {row.input_tokens:,} in / {row.output_tokens:,} out · "
        f"{row.model_calls} model calls"
    )
    ended = duration(row, int(time.time() * 1000)) if row.finished_ms is not None else ""
    return json.dumps({"state": row.state, "cost": cost, "duration": ended})
