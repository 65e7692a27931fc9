"""One run's page: what the template and ``?format=json`` show (blocking reads; no HTML here
except the escaped SVG and entries the templates render)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jinja2

from bot.adapters.durable import RunRow
from bot.orchestra import Event
from bot.settings import Settings
from bot.web.dashboard._gantt import gantt_svg
from bot.web.dashboard._reading import Reader, duration, issue_link, run_href, when
from bot.web.dashboard._timeline import Timeline, build, entry, plain_text
from bot.web.dashboard._viewer import Viewer

_STAGE_KEYS = ("name", "state", "seconds", "detail")


def render_entry(template: jinja2.Template, seq: int, event: Event, viewer: Viewer) -> str:
    """One timeline line as HTML (escaped by the template)."""
    return template.render(e=entry(seq, event), show_content=viewer.show_content)


def _output(reader: Reader, run_id: str, status: str | None) -> Any:
    if status != "SUCCESS":
        return None
    try:
        return reader.store.result(run_id, timeout=0.0)
    except Exception:  # the output is a bonus on the page: a run without one still shows
        return None


def _stages(output: Any) -> list[dict[str, str]]:
    if not isinstance(output, dict) or not isinstance(output.get("stages"), list):
        return []
    return [
        {key: str(stage.get(key) or "") for key in _STAGE_KEYS}
        for stage in output["stages"]
        if isinstance(stage, dict)
    ]


def _json(
    run_id: str,
    status: str | None,
    steps: list[str],
    output: Any,
    row: RunRow | None,
    timeline: Timeline,
    viewer: Viewer,
) -> dict[str, Any]:
    """``?format=json``: the engine's view (as before) and the index's and events' figures."""
    entries = [
        {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "kind": e.kind,
            "title": e.title,
            "detail": e.detail,
            "cost_usd": e.cost_usd,
            "link": e.link,
            **({"content": e.content} if viewer.show_content and e.content else {}),
        }
        for e in timeline.entries
    ]
    return {
        "run_id": run_id,
        "status": status or "UNKNOWN",
        "steps": steps,
        "output": output if viewer.show_content or not isinstance(output, dict) else _lean(output),
        "run": None if row is None else {**row.__dict__, "seconds": row.seconds},
        "cost_by_role": timeline.costs.by_role,
        "cost_by_model": timeline.costs.by_model,
        "timeline": entries,
    }


def _lean(output: dict[str, Any]) -> dict[str, Any]:
    """A run's stored state without what quotes code or model text at length."""
    return {key: value for key, value in output.items() if key not in ("patch", "body", "plan")}


def run_context(
    reader: Reader,
    run_id: str,
    row: RunRow | None,
    viewer: Viewer,
    settings: Settings,
    secret: str,
) -> dict[str, Any]:
    """Everything the run page shows."""
    status = reader.status(run_id)
    output = _output(reader, run_id, status)
    steps = reader.store.steps(run_id) if status is not None else []
    events = reader.events.run_events(reader.run_ids(run_id))
    now = datetime.now(UTC)
    timeline = build(events, now)
    children = reader.index.children(run_id) if row is not None else []
    quoted = quote(run_id, safe="")
    signed = run_href(run_id, viewer, secret).partition("?")[2]
    suffix = f"?{signed}" if signed else ""
    cost = row.cost_usd if row is not None else timeline.costs.total_usd
    return {
        "viewer": viewer,
        "run_id": run_id,
        "row": row,
        "state": row.state if row is not None else (status or "unknown").lower(),
        "number_link": issue_link(settings.github_web_url, row) if row is not None else None,
        "started_text": when(row.started_ms)[1] if row is not None else "",
        "duration": duration(row, int(time.time() * 1000)) if row is not None else "",
        "cost_usd": cost,
        "tokens_in": row.input_tokens if row is not None else 0,
        "tokens_out": row.output_tokens if row is not None else 0,
        "model_calls": row.model_calls if row is not None else 0,
        "outcome": plain_text(row.outcome, 500) if row is not None else "",
        "svg": gantt_svg(timeline.bars, now, f"Stages and agents of {run_id}"),
        "svg_url": f"/runs/{quoted}/timeline.svg{suffix}",
        "live_url": f"/runs/{quoted}/events{suffix}",
        "stages": _stages(output),
        "gate": output.get("gate_markdown", "") if isinstance(output, dict) else "",
        "costs": timeline.costs,
        "board": timeline.blackboard,
        "children": [
            {"run_id": c.run_id, "state": c.state, "href": run_href(c.run_id, viewer, secret)}
            for c in children
            if viewer.run_id is None
        ],
        "entries": timeline.entries,
        "truncated": timeline.truncated,
        "last_seq": timeline.last_seq,
        "show_content": viewer.show_content,
        "steps": steps,
        "json": _json(run_id, status, steps, output, row, timeline, viewer),
    }
