"""A run's events as people read them: timeline entries, lanes of bars, costs, the blackboard.

Pure functions over the event log's events; the pages render what they return. Event payloads
come from agents and models: every value is treated as untrusted text (the templates escape
it; links are kept only when they are http or https).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.orchestra import Event

MAX_ENTRIES = 2000  # a page lists at most this many entries (the newest are kept)
MAX_BARS = 400  # and draws at most this many bars
_TEXT_CHARS = 300


@dataclass
class Entry:
    """One line of the timeline."""

    seq: int
    at: datetime
    kind: str  # stage, agent, model, tool, github, retry, failure, review, other
    title: str
    detail: str = ""
    content: str = ""  # model text or tool input/output: shown only when allowed
    cost_usd: float = 0.0
    tokens: str = ""
    link: str | None = None


@dataclass
class Bar:
    """One span drawn on the Gantt chart: a stage or an agent, from start to end."""

    lane: str
    kind: str  # stage or agent
    label: str
    start: datetime
    end: datetime | None  # None: still running
    failed: bool = False


@dataclass
class Costs:
    """What the run's model calls cost, by role and by model."""

    by_role: dict[str, list[float]] = field(default_factory=dict)  # [calls, in, out, usd]
    by_model: dict[str, list[float]] = field(default_factory=dict)
    total_usd: float = 0.0


@dataclass
class Timeline:
    """Everything the run page draws from the events."""

    entries: list[Entry]
    bars: list[Bar]
    costs: Costs
    blackboard: dict[str, Any]
    last_seq: int
    truncated: int  # entries left out


def safe_link(url: object) -> str | None:
    """``url`` if it is an http(s) address, else None (never a ``javascript:`` link)."""
    if not isinstance(url, str) or len(url) > 2000:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def plain_text(value: object, limit: int = _TEXT_CHARS) -> str:
    """``value`` as one printable text, cut to ``limit`` (control characters become spaces)."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    text = "".join(char if char.isprintable() or char in "\n\t" else " " for char in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _usage(payload: Mapping[str, Any]) -> tuple[int, int]:
    """Input tokens (cached and written to the cache included) and output tokens of a call."""
    usage = payload.get("usage")
    usage = usage if isinstance(usage, Mapping) else {}
    read = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return int(sum(_number(usage.get(key)) for key in read)), int(
        _number(usage.get("output_tokens"))
    )


def entry(seq: int, event: Event) -> Entry:
    """The timeline line of one event."""
    payload = event.payload
    kind, title, detail = _describe(event.event_type, payload)
    made = Entry(seq=seq, at=event.timestamp, kind=kind, title=title, detail=detail)
    if event.event_type == "model.response":
        tokens_in, tokens_out = _usage(payload)
        made.cost_usd = _number(payload.get("cost_usd"))
        made.tokens = f"{tokens_in:,} in / {tokens_out:,} out"
        made.content = plain_text(payload.get("content"), 2000)
    elif event.event_type == "tool.call":
        made.content = plain_text(payload.get("input"), 2000)
    elif event.event_type == "tool.result":
        made.content = plain_text(payload.get("content"), 2000)
    elif event.event_type == "github.write":
        made.link = safe_link(payload.get("url"))
    return made


def _describe(event_type: str, payload: Mapping[str, Any]) -> tuple[str, str, str]:
    """The kind, title and detail of one event."""
    agent = plain_text(payload.get("agent"), 80)
    stage = plain_text(payload.get("stage"), 80)
    if event_type == "stage.started":
        return "stage", f"stage {stage} started", f"attempt {payload.get('attempt', 1)}"
    if event_type == "stage.finished":
        return "stage", f"stage {stage} finished", f"{_number(payload.get('seconds')):.1f} s"
    if event_type == "stage.failed":
        return "failure", f"stage {stage} failed", plain_text(payload.get("reason"))
    if event_type == "agent.started":
        return "agent", f"{agent} started", plain_text(payload.get("role"), 80)
    if event_type == "agent.finished":
        status = plain_text(payload.get("status"), 40)
        return "agent", f"{agent} finished: {status}", plain_text(payload.get("message"))
    if event_type == "model.response":
        model = plain_text(payload.get("model"), 80)
        return "model", f"{agent} ← {model}", plain_text(payload.get("stop_reason"), 40)
    if event_type in ("model.retry", "model.paced", "model.cut_off"):
        reason = payload.get("status") or payload.get("error_type") or payload.get("seconds")
        return "retry", f"{agent}: {event_type.split('.')[1].replace('_', ' ')}", plain_text(reason)
    if event_type == "tool.call":
        return "tool", f"{agent} → {plain_text(payload.get('tool'), 80)}", ""
    if event_type == "tool.result":
        error = " (error)" if payload.get("is_error") else ""
        return "tool", f"{agent} ← {plain_text(payload.get('tool'), 80)}{error}", ""
    if event_type == "github.write":
        number = payload.get("number")
        where = f" #{number}" if isinstance(number, int) else ""
        return "github", f"GitHub: {plain_text(payload.get('action'), 120)}{where}", ""
    if event_type.startswith("review."):
        return "review", event_type, _review_detail(event_type, payload)
    if event_type == "delivery.refused":
        return "failure", "delivery refused", plain_text(payload.get("reason"))
    return "other", plain_text(event_type, 120), ""


def _review_detail(event_type: str, payload: Mapping[str, Any]) -> str:
    if event_type == "review.contribution":
        listed = payload.get("listed")
        count = len(listed) if isinstance(listed, list) else 0
        return (
            f"{plain_text(payload.get('agent'), 80)}: {count} finding(s), {payload.get('verdict')}"
        )
    if event_type == "review.synthesis":
        return f"{plain_text(payload.get('event'), 40)}, {payload.get('findings')} finding(s)"
    return ""


def build(events: Iterable[tuple[int, Event]], now: datetime) -> Timeline:
    """The timeline of a run's events (oldest first)."""
    found = list(events)
    entries = [entry(seq, event) for seq, event in found]
    truncated = max(0, len(entries) - MAX_ENTRIES)
    return Timeline(
        entries=entries[truncated:],
        bars=_bars(found, now)[:MAX_BARS],
        costs=_costs(event for _, event in found),
        blackboard=_blackboard(event for _, event in found),
        last_seq=found[-1][0] if found else 0,
        truncated=truncated,
    )


def _bars(events: list[tuple[int, Event]], now: datetime) -> list[Bar]:
    bars: list[Bar] = []
    open_bars: dict[tuple[str, str], Bar] = {}
    for _, event in events:
        payload = event.payload
        if event.event_type in ("stage.started", "agent.started"):
            kind = event.event_type.split(".")[0]
            name = plain_text(payload.get(kind if kind == "stage" else "agent"), 80)
            lane = f"{kind}: {name}"
            bar = Bar(lane, kind, name, event.timestamp, None)
            open_bars[(kind, name)] = bar
            bars.append(bar)
        elif event.event_type in ("stage.finished", "stage.failed", "agent.finished"):
            kind = event.event_type.split(".")[0]
            name = plain_text(payload.get(kind if kind == "stage" else "agent"), 80)
            started = open_bars.pop((kind, name), None)
            if started is not None:
                started.end = event.timestamp
                started.failed = event.event_type == "stage.failed" or (
                    kind == "agent"
                    and payload.get("status") not in ("completed", "submitted", "done", None)
                )
    del now  # open bars are drawn to the chart's end
    return bars


def _costs(events: Iterable[Event]) -> Costs:
    costs = Costs()
    for event in events:
        if event.event_type != "model.response":
            continue
        payload = event.payload
        tokens_in, tokens_out = _usage(payload)
        usd = _number(payload.get("cost_usd"))
        costs.total_usd += usd
        for table, key in (
            (costs.by_role, plain_text(payload.get("role") or "unknown", 80)),
            (costs.by_model, plain_text(payload.get("model") or "unknown", 80)),
        ):
            row = table.setdefault(key, [0, 0, 0, 0.0])
            row[0] += 1
            row[1] += tokens_in
            row[2] += tokens_out
            row[3] += usd
    return costs


def _blackboard(events: Iterable[Event]) -> dict[str, Any]:
    """A review's blackboard: findings by reviewer, what was merged, the synthesis."""
    by_reviewer: dict[str, list[dict[str, str]]] = defaultdict(list)
    merged: list[dict[str, str]] = []
    synthesis: dict[str, str] = {}
    for event in events:
        payload = event.payload
        if event.event_type == "review.contribution":
            reviewer = plain_text(payload.get("agent") or "?", 80)
            listed = payload.get("listed")
            for item in listed if isinstance(listed, list) else []:
                if isinstance(item, Mapping):
                    by_reviewer[reviewer].append(_finding(item))
            by_reviewer.setdefault(reviewer, [])
        elif event.event_type == "review.merged":
            found = payload.get("findings")
            for item in found if isinstance(found, list) else []:
                if isinstance(item, Mapping):
                    reviewers = item.get("reviewers")
                    names = reviewers if isinstance(reviewers, list) else []
                    merged.append(
                        {
                            "path": plain_text(item.get("path"), 200),
                            "reviewers": ", ".join(plain_text(n, 80) for n in names),
                        }
                    )
        elif event.event_type == "review.synthesis":
            synthesis = {
                "event": plain_text(payload.get("event"), 40),
                "findings": plain_text(payload.get("findings"), 20),
                "rule": plain_text(payload.get("rule"), 80),
                "reason": plain_text(payload.get("reason")),
            }
    return {"by_reviewer": dict(by_reviewer), "merged": merged, "synthesis": synthesis}


def _finding(item: Mapping[str, Any]) -> dict[str, str]:
    line = item.get("line")
    return {
        "where": f"{plain_text(item.get('path'), 200)}:{line if isinstance(line, int) else '?'}",
        "severity": plain_text(item.get("severity"), 40),
        "kind": plain_text(item.get("kind"), 80),
    }
