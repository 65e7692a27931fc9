"""``/runs``: the list of runs a signed-in viewer may read, its filters, paging and live rows.

A person never sees a repository they cannot read: the viewer's repositories restrict the
query itself, the filter's choices and every answer; a filter naming another repository finds
nothing, exactly as one naming a repository without runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from bot.adapters.durable import RunRow
from bot.adapters.durable._run_index import STATES
from bot.settings import Settings
from bot.web.dashboard._reading import (
    FLOWS,
    BadFilter,
    ListQuery,
    Reader,
    off_loop,
    parse_filters,
    row_view,
    until_busy,
)
from bot.web.dashboard._viewer import Access, Viewer

LIST_POLL_SECONDS = 1.0
REFRESH_SECONDS = 30.0  # the rows are sent again at least this often (their "ago" times age)
LIVE_SECONDS = 600.0  # a stream ends after this; the browser reconnects
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def wants_json(request: Request) -> bool:
    """Whether ``request`` asked for JSON (``?format=json``)."""
    return request.query_params.get("format") == "json"


def is_browser(request: Request) -> bool:
    """Whether ``request`` came from a browser's page load (it takes HTML): sent to sign in."""
    return not wants_json(request) and "text/html" in request.headers.get("accept", "text/html")


class Handlers:
    """What every dashboard handler reads with: settings, the reader, templates, access and
    the key of signed links."""

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


class ListPages(Handlers):
    """The list's handlers."""

    async def viewer(self, request: Request) -> Viewer | Response:
        """The signed-in viewer, or the answer for someone who is not (or a dashboard off)."""
        if not self.access.enabled:
            return JSONResponse({"status": "the dashboard is off"}, status_code=404)
        viewer = await self.access.viewer(request)
        if viewer is not None:
            return viewer
        if is_browser(request):
            return RedirectResponse(self.access.login_url(request), status_code=303)
        return JSONResponse({"status": "sign in first"}, status_code=401)

    def _views(self, rows: list[RunRow], viewer: Viewer) -> list[dict[str, Any]]:
        now_ms = int(time.time() * 1000)
        web = self.settings.github_web_url
        return [row_view(row, viewer, self.secret, web, now_ms) for row in rows]

    async def runs(self, request: Request) -> Response:
        """One page of the list, as HTML or JSON."""
        viewer = await self.viewer(request)
        if isinstance(viewer, Response):
            return viewer
        try:
            query = parse_filters(dict(request.query_params))
            rows, cursor = await off_loop(self.reader.page, query.to_index(viewer))
        except ValueError as exc:  # BadFilter, or a cursor the index did not make
            message = str(exc) if isinstance(exc, BadFilter) else "before: not a page cursor"
            return await self._bad_filter(request, viewer, message)
        shown = self._views(rows, viewer)
        if wants_json(request):
            listed = [
                {**{k: v for k, v in row.items() if k != "number_link"}, "url": row["number_link"]}
                for row in shown
            ]
            return JSONResponse({"runs": listed, "next_cursor": cursor}, headers=HEADERS)
        page = self.env.get_template("runs.html").render(
            **await self._form(viewer, query),
            rows=shown,
            error="",
            older_url=query.url(before=cursor) if cursor else "",
            first_url=query.url(before="") if query.before else "",
            live_url="" if query.before else query.url().replace("/runs", "/runs/live", 1),
        )
        return HTMLResponse(page, headers=HEADERS)

    async def _form(self, viewer: Viewer, query: ListQuery) -> dict[str, Any]:
        """The filter form: only the viewer's repositories are choices."""
        repositories = (
            sorted(viewer.repositories)
            if viewer.repositories is not None
            else await off_loop(self.reader.index.repositories)
        )
        return {
            "viewer": viewer,
            "query": query,
            "repositories": repositories,
            "flows": FLOWS,
            "states": STATES,
        }

    async def _bad_filter(self, request: Request, viewer: Viewer, message: str) -> Response:
        """400, naming the filter (the message quotes none of the given value)."""
        if wants_json(request):
            return JSONResponse({"status": "bad filter", "error": message}, status_code=400)
        page = self.env.get_template("runs.html").render(
            **await self._form(viewer, ListQuery()),
            rows=[],
            error=message,
            older_url="",
            first_url="",
            live_url="",
        )
        return HTMLResponse(page, status_code=400, headers=HEADERS)

    async def runs_live(self, request: Request) -> Response:
        """The first page's rows (an HTML fragment) whenever they change."""
        viewer = await self.viewer(request)
        if isinstance(viewer, Response):
            return viewer
        try:
            query = parse_filters(dict(request.query_params)).to_index(viewer)
        except BadFilter as exc:
            return JSONResponse({"status": "bad filter", "error": str(exc)}, status_code=400)
        if query.before is not None:  # only the newest page changes: older ones are not live
            return JSONResponse(
                {"status": "bad filter", "error": "before: the live list is the first page"},
                status_code=400,
            )
        template = self.env.get_template("_rows.html")

        async def stream() -> AsyncIterator[dict[str, str]]:
            sent: list[RunRow] | None = None
            sent_at = 0.0
            ends = time.monotonic() + LIVE_SECONDS
            while time.monotonic() < ends:
                rows, _ = await off_loop(self.reader.page, query)
                if rows != sent or time.monotonic() - sent_at >= REFRESH_SECONDS:
                    sent, sent_at = rows, time.monotonic()
                    yield {"event": "rows", "data": template.render(rows=self._views(rows, viewer))}
                await asyncio.sleep(LIST_POLL_SECONDS)

        return EventSourceResponse(until_busy(stream()), headers={"Cache-Control": "no-store"})
