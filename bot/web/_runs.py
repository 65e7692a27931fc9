"""``GET /runs/{run_id}``: one run's page, for the link in the tracking comment.

Readable only with the signed link (``bot.run_links``); anything else is 404, so the page of a
run in a private repository says nothing to someone who guesses its id. HTML for people, JSON
with ``?format=json``.
"""

from __future__ import annotations

import asyncio
import functools
import html
from importlib import resources
from string import Template
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.run_links import verify_run_signature

_STAGE_KEYS = ("name", "state", "seconds", "detail")


class RunStore(Protocol):
    """What the page reads about a run (``Engine`` and ``EngineClient`` both do)."""

    def status(self, workflow_id: str) -> str:
        """The run's status."""
        ...

    def steps(self, workflow_id: str) -> list[str]:
        """The run's recorded steps, in order."""
        ...

    def result(self, workflow_id: str, *, timeout: float = ...) -> Any:
        """The finished run's output."""
        ...


def run_pages(store: RunStore, secret: str) -> APIRouter:
    """The router serving run pages from ``store``."""
    router = APIRouter()

    @router.get("/runs/{run_id:path}")
    async def run_page(run_id: str, request: Request) -> Response:
        if not verify_run_signature(secret, run_id, request.query_params.get("sig")):
            return JSONResponse({"status": "not found"}, status_code=404)
        try:
            found = await asyncio.to_thread(_read, store, run_id)
        except KeyError:
            return JSONResponse({"status": "not found"}, status_code=404)
        if request.query_params.get("format") == "json":
            return JSONResponse(found)
        return HTMLResponse(_render(found))

    return router


def _read(store: RunStore, run_id: str) -> dict[str, Any]:
    status = store.status(run_id)
    output: Any = None
    if status == "SUCCESS":
        output = store.result(run_id, timeout=0.0)
    return {"run_id": run_id, "status": status, "steps": store.steps(run_id), "output": output}


@functools.cache
def _template() -> Template:
    page = resources.files("bot.web").joinpath("templates/run.html")
    return Template(page.read_text(encoding="utf-8"))


def _details(output: Any) -> str:
    """The stages, usage and outcome of a spec run's stored state ('' for other runs)."""
    if not isinstance(output, dict) or not isinstance(output.get("stages"), list):
        return ""
    esc = html.escape
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{esc(str(stage.get(key) or ''))}</td>" for key in _STAGE_KEYS)
        + "</tr>"
        for stage in output["stages"]
        if isinstance(stage, dict)
    )
    tokens_in = int(output.get("input_tokens") or 0)
    tokens_out = int(output.get("output_tokens") or 0)
    cost = float(output.get("cost_usd") or 0.0)
    head = "".join(f"<th>{key}</th>" for key in _STAGE_KEYS)
    return (
        f"<h2>Stages</h2><table><tr>{head}</tr>{rows}</table>"
        f"<p>Tokens: {tokens_in:,} in / {tokens_out:,} out · cost ${cost:.4f}</p>"
        f"<p>{esc(str(output.get('outcome') or ''))}</p>"
    )


def _render(found: dict[str, Any]) -> str:
    esc = html.escape
    return _template().substitute(
        run_id=esc(found["run_id"]),
        status=esc(found["status"].lower()),
        details=_details(found["output"]),
        steps="".join(f"<li>{esc(step)}</li>" for step in found["steps"]),
    )
