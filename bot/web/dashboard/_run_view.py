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
from bot.web.dashboard._reading import MAX_EVENTS, Reader, duration, issue_link, run_href, when
from bot.web.dashboard._text import plain_text
from bot.web.dashboard._timeline import Timeline, build, entry
from bot.web.dashboard._viewer import Viewer

_STAGE_KEYS = ("name", "state", "seconds", "detail")


def render_entry(template: jinja2.Template, seq: int, event: Event, viewer: Viewer) -> str:
    """One timeline line as HTML (escaped by the template)."""
    return template.render(e=entry(seq, event), show_content=viewer.show_content)


# What the chart is drawn from: the bars and their costs, not every tool call of the run.
CHART_EVENTS = (
    "stage.started",
    "stage.finished",
    "stage.failed",
    "agent.started",
    "agent.finished",
    "model.response",
)


def chart(
    reader: Reader, run_id: str, row: RunRow | None, types: tuple[str, ...] | None = None
) -> tuple[Timeline, str, bool]:
    """The run's timeline (from events of these ``types``, all by default), its SVG chart,
    and whether the log held more than was read."""
    events, more = reader.run_events(run_id, types)
    timeline = build(events)
    ended_ms = row.finished_ms if row is not None else None
    # A bar without an end runs to now while the run runs, to the run's end once it ended.
    until = datetime.now(UTC) if ended_ms is None else datetime.fromtimestamp(ended_ms / 1000, UTC)
    svg = gantt_svg(
        timeline.bars,
        until,
        f"Stages and agents of {run_id}",
        left_out=timeline.bars_left_out,
        running=ended_ms is None,
    )
    return timeline, svg, more


def _output(reader: Reader, run_id: str, status: str | None) -> Any:
    if status != "SUCCESS":
        return None
    try:
        return reader.store.result(run_id, timeout=0.0)
    except Exception:  # the output is a bonus on the page: a run without one still shows
        return None


def _stages(output: Any, seconds: dict[str, float]) -> list[dict[str, str]]:
    """The stages the run's output lists (their seconds from the event log when it has none)."""
    if not isinstance(output, dict) or not isinstance(output.get("stages"), list):
        return []
    shown = []
    for stage in output["stages"]:
        if isinstance(stage, dict):
            row = {key: plain_text(stage.get(key) or "", 500) for key in _STAGE_KEYS}
            if not row["seconds"] and row["name"] in seconds:
                row["seconds"] = f"{seconds[row['name']]:.1f}"
            shown.append(row)
    return shown


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


# What ``?format=json`` keeps of a run's stored state while content is hidden: its facts, not
# what quotes code, the spec or the model (patch, plan, summaries, notes, evidence).
_FACTS = frozenset(
    {
        "run_id", "repo", "issue", "pull", "title", "branch", "base", "stages", "ready",
        "awaiting_approval", "pull_url", "head_sha", "links", "input_tokens", "output_tokens",
        "cost_usd", "outcome", "stopped", "interrupted", "test_status", "findings", "event",
        "conclusion", "check_run_id", "review_id",
    }
)  # fmt: skip


def _lean(output: dict[str, Any]) -> dict[str, Any]:
    """A run's stored state with only its facts (content hidden)."""
    return {key: value for key, value in output.items() if key in _FACTS}


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
    timeline, svg, more = chart(reader, run_id, row)
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
        "started": when(row.started_ms) if row is not None else ("", ""),
        "duration": duration(row, int(time.time() * 1000)) if row is not None else "",
        "cost_usd": cost,
        "tokens_in": row.input_tokens if row is not None else 0,
        "tokens_out": row.output_tokens if row is not None else 0,
        "model_calls": row.model_calls if row is not None else 0,
        "outcome": plain_text(row.outcome, 500) if row is not None else "",
        "svg": svg,
        "svg_url": f"/runs/{quoted}/timeline.svg{suffix}",
        "live_url": f"/runs/{quoted}/events{suffix}",
        "stages": _stages(output, timeline.stage_seconds),
        "gate": plain_text(output.get("gate_markdown"), 20_000) if isinstance(output, dict) else "",
        "costs": timeline.costs,
        "board": timeline.blackboard,
        "children": [
            {"run_id": c.run_id, "state": c.state, "href": run_href(c.run_id, viewer, secret)}
            for c in children
            if viewer.run_id is None
        ],
        "entries": timeline.entries,
        "truncated": timeline.truncated,
        "bars_left_out": timeline.bars_left_out,
        "unread": MAX_EVENTS if more else 0,
        "last_seq": timeline.last_seq,
        "show_content": viewer.show_content,
        "steps": steps,
        "json": _json(run_id, status, steps, output, row, timeline, viewer),
    }
