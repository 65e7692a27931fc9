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
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from bot.adapters.durable._run_index import STATES
from bot.run_links import verify_run_signature
from bot.settings import Settings
from bot.web.dashboard._gantt import gantt_svg
from bot.web.dashboard._reading import (
    FLOWS,
    BadFilter,
    Reader,
    RunStore,
    parse_filters,
    row_view,
)
from bot.web.dashboard._run_view import render_entry, run_context
from bot.web.dashboard._timeline import build
from bot.web.dashboard._viewer import Access, Viewer

POLL_SECONDS = 0.5
LIVE_SECONDS = 600.0  # a stream ends after this; the browser reconnects
_STATIC = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NOT_FOUND = {"status": "not found"}


def templates() -> jinja2.Environment:
    """The dashboard's templates, autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
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
    pages = _Pages(settings, reader, env, access, secret)

    @router.get("/dashboard-static/{name}")
    async def static(name: str) -> Response:
        if name not in _STATIC:
            return Response(status_code=404)
        text = resources.files("bot.web.dashboard").joinpath(f"static/{name}").read_text()
        return Response(text, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})

    @router.get("/runs")
    async def runs(request: Request) -> Response:
        return await pages.runs(request)

    @router.get("/runs/live")
    async def runs_live(request: Request) -> Response:
        return await pages.runs_live(request)

    @router.get("/runs/{run_path:path}")
    async def run(run_path: str, request: Request) -> Response:
        for suffix, handler in (("/events", pages.run_live), ("/timeline.svg", pages.run_svg)):
            if run_path.endswith(suffix):
                return await handler(run_path.removesuffix(suffix), request)
        return await pages.run_page(run_path, request)

    return router


class _Pages:
    """The handlers, over one reader and template set."""

    def __init__(
        self,
        settings: Settings,
        reader: Reader,
        env: jinja2.Environment,
        access: Access,
        secret: str,
    ) -> None:
        self.settings = settings
        self.reader = reader
        self.env = env
        self.access = access
        self.secret = secret

    # the list ----------------------------------------------------------------------------
    async def _list_viewer(self, request: Request) -> Viewer | Response:
        if not self.access.enabled:
            return JSONResponse({"status": "the dashboard is off"}, status_code=404)
        viewer = await self.access.viewer(request)
        if viewer is not None:
            return viewer
        if request.query_params.get("format") == "json" or "text/html" not in request.headers.get(
            "accept", "text/html"
        ):
            return JSONResponse({"status": "sign in first"}, status_code=401)
        return RedirectResponse(self.access.login_url(request), status_code=303)

    async def runs(self, request: Request) -> Response:
        viewer = await self._list_viewer(request)
        if isinstance(viewer, Response):
            return viewer
        try:
            query = parse_filters(dict(request.query_params))
            rows, cursor = await asyncio.to_thread(self.reader.page, query.to_index(viewer))
        except (BadFilter, ValueError) as exc:
            return JSONResponse({"status": "bad filter", "error": str(exc)}, status_code=400)
        now_ms = int(time.time() * 1000)
        shown = [
            row_view(row, viewer, self.secret, self.settings.github_web_url, now_ms) for row in rows
        ]
        if request.query_params.get("format") == "json":
            listed = [{k: v for k, v in row.items() if k != "number_link"} for row in shown]
            return JSONResponse({"runs": listed, "next_cursor": cursor}, headers=HEADERS)
        repositories = (
            sorted(viewer.repositories)
            if viewer.repositories is not None
            else await asyncio.to_thread(self.reader.index.repositories)
        )
        page = self.env.get_template("runs.html").render(
            viewer=viewer,
            rows=shown,
            query=query,
            repositories=repositories,
            flows=FLOWS,
            states=STATES,
            older_url=query.url(before=cursor) if cursor else "",
            first_url=query.url(before="") if query.before else "",
            live_url="" if query.before else query.url().replace("/runs", "/runs/live", 1),
        )
        return HTMLResponse(page, headers=HEADERS)

    async def runs_live(self, request: Request) -> Response:
        viewer = await self._list_viewer(request)
        if isinstance(viewer, Response):
            return viewer
        try:
            query = parse_filters(dict(request.query_params)).to_index(viewer)
        except BadFilter as exc:
            return JSONResponse({"status": "bad filter", "error": str(exc)}, status_code=400)
        template = self.env.get_template("_rows.html")

        async def stream() -> AsyncIterator[dict[str, str]]:
            shown = ""
            ends = time.monotonic() + LIVE_SECONDS
            while time.monotonic() < ends:
                rows, _ = await asyncio.to_thread(self.reader.page, query)
                now_ms = int(time.time() * 1000)
                views = [
                    row_view(r, viewer, self.secret, self.settings.github_web_url, now_ms)
                    for r in rows
                ]
                html = template.render(rows=views)
                if html != shown:
                    shown = html
                    yield {"event": "rows", "data": html}
                await asyncio.sleep(POLL_SECONDS * 2)

        return EventSourceResponse(stream(), headers={"Cache-Control": "no-store"})

    # one run -----------------------------------------------------------------------------
    async def _run_viewer(self, run_id: str, request: Request) -> tuple[Viewer, Any] | None:
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
        row = await asyncio.to_thread(self.reader.run, run_id)
        if row is None and await asyncio.to_thread(self.reader.status, run_id) is None:
            return None
        if not viewer.can_see_run(run_id, row.repository if row is not None else None):
            return None
        return viewer, row

    async def run_page(self, run_id: str, request: Request) -> Response:
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        viewer, row = found
        context = await asyncio.to_thread(
            run_context, self.reader, run_id, row, viewer, self.settings, self.secret
        )
        if request.query_params.get("format") == "json":
            return JSONResponse(context["json"], headers=HEADERS)
        return HTMLResponse(self.env.get_template("run.html").render(**context), headers=HEADERS)

    async def run_svg(self, run_id: str, request: Request) -> Response:
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        events = await asyncio.to_thread(self.reader.events.run_events, self.reader.run_ids(run_id))
        now = datetime.now(UTC)
        svg = gantt_svg(build(events, now).bars, now, f"Stages and agents of {run_id}")
        return Response(svg, media_type="image/svg+xml", headers=HEADERS)

    async def run_live(self, run_id: str, request: Request) -> Response:
        found = await self._run_viewer(run_id, request)
        if found is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        viewer, _ = found
        after = _after(request)
        template = self.env.get_template("_entry.html")

        async def stream() -> AsyncIterator[dict[str, str]]:
            seen, quiet, last_state = after, 0, ""
            ends = time.monotonic() + LIVE_SECONDS
            while time.monotonic() < ends:
                ids = await asyncio.to_thread(self.reader.run_ids, run_id)
                events = await asyncio.to_thread(
                    self.reader.events.run_events, ids, after_seq=seen, limit=500
                )
                for seq, event in events:
                    seen = seq
                    yield {
                        "event": "entry",
                        "id": str(seq),
                        "data": render_entry(template, seq, event, viewer),
                    }
                row = await asyncio.to_thread(self.reader.run, run_id)
                state = _facts(row)
                if state != last_state:
                    last_state = state
                    yield {"event": "state", "data": state}
                finished = row is not None and row.state != "running"
                quiet = quiet + 1 if finished and not events else 0
                if quiet >= 2:
                    yield {"event": "end", "data": "{}"}
                    return
                await asyncio.sleep(POLL_SECONDS)

        return EventSourceResponse(stream(), headers={"Cache-Control": "no-store"})


def _after(request: Request) -> int:
    """Where a stream starts: the browser's ``Last-Event-ID`` on a reconnect, else ``after``."""
    for value in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if value and value.isdigit() and len(value) < 19:
            return int(value)
    return 0


def _facts(row: Any) -> str:
    if row is None:
        return json.dumps({"state": "pending", "cost": ""})
    cost = (
        f"${row.cost_usd:.4f} · {row.input_tokens:,} in / {row.output_tokens:,} out · "
        f"{row.model_calls} model calls"
    )
    return json.dumps({"state": row.state, "cost": cost})
