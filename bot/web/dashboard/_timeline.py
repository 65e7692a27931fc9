"""A run's events as people read them: timeline entries, lanes of bars, costs, the blackboard.

Pure functions over the event log's events; the pages render what they return. Event payloads
come from agents and models: every value is treated as untrusted text (the templates escape
it; links are kept only when they are http or https).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.orchestra import Event
from bot.web.dashboard._blackboard import blackboard
from bot.web.dashboard._text import number, plain_text, safe_link

MAX_ENTRIES = 2000  # a page lists at most this many entries (the newest are kept)
MAX_BARS = 400  # and draws at most this many bars (the first ones)
# An agent that ended with one of these did its job; any other status is drawn as a failure.
AGENT_DONE = ("completed", "submitted")


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
    end: datetime | None  # None: still running (drawn up to now)
    failed: bool = False
    cost_usd: float = 0.0  # what its model calls cost


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
    truncated: int  # entries left out (the oldest)
    bars_left_out: int = 0  # bars not drawn (the latest)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # by stage, every attempt


def _usage(payload: Mapping[str, Any]) -> tuple[int, int]:
    """Input tokens (cached and written to the cache included) and output tokens of a call."""
    usage = payload.get("usage")
    usage = usage if isinstance(usage, Mapping) else {}
    read = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return int(sum(number(usage.get(key)) for key in read)), int(number(usage.get("output_tokens")))


def entry(seq: int, event: Event) -> Entry:
    """The timeline line of one event."""
    payload = event.payload
    kind, title, detail = _describe(event.event_type, payload)
    made = Entry(seq=seq, at=event.timestamp, kind=kind, title=title, detail=detail)
    if event.event_type == "model.response":
        tokens_in, tokens_out = _usage(payload)
        made.cost_usd = number(payload.get("cost_usd"))
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
        return "stage", f"stage {stage} finished", f"{number(payload.get('seconds')):.1f} s"
    if event_type == "stage.failed":
        return "failure", f"stage {stage} failed", plain_text(payload.get("reason"))
    if event_type == "agent.started":
        return "agent", f"{agent} started", plain_text(payload.get("role"), 80)
    if event_type == "agent.finished":
        status = plain_text(payload.get("status"), 40)
        turns = f" after {int(number(payload.get('turns')))} turn(s)"
        kind = "agent" if status in AGENT_DONE else "failure"
        return kind, f"{agent} finished: {status}{turns}", plain_text(payload.get("message"))
    if event_type == "model.response":
        model = plain_text(payload.get("model"), 80)
        return "model", f"{agent} ← {model}", plain_text(payload.get("stop_reason"), 40)
    if event_type in ("model.retry", "model.paced", "model.cut_off"):
        return "retry", f"{agent}: {event_type.split('.')[1].replace('_', ' ')}", _retry(payload)
    if event_type == "tool.call":
        return "tool", f"{agent} → {plain_text(payload.get('tool'), 80)}", ""
    if event_type == "tool.result":
        error = " (error)" if payload.get("is_error") else ""
        return "tool", f"{agent} ← {plain_text(payload.get('tool'), 80)}{error}", ""
    if event_type == "github.write":
        found = payload.get("number")
        where = f" #{found}" if isinstance(found, int) else ""
        return "github", f"GitHub: {plain_text(payload.get('action'), 120)}{where}", ""
    if event_type.startswith("review."):
        return "review", plain_text(event_type, 80), _review_detail(event_type, payload)
    if event_type == "delivery.refused":
        return "failure", "delivery refused", plain_text(payload.get("reason"))
    return "other", plain_text(event_type, 120), ""


def _retry(payload: Mapping[str, Any]) -> str:
    """Why a model call waited or was asked again."""
    if "delay_seconds" in payload:  # model.retry
        status = plain_text(payload.get("status"), 20)
        error = plain_text(payload.get("error_type"), 80)
        return (
            f"attempt {plain_text(payload.get('attempt'), 10)}: {status} {error}, "
            f"again in {number(payload.get('delay_seconds')):.1f} s"
        )
    if "raised_to" in payload:  # model.cut_off
        limit, raised = number(payload.get("max_tokens")), number(payload.get("raised_to"))
        turn = plain_text(payload.get("turn"), 10)
        return f"turn {turn} hit {limit:.0f} output tokens; asked again with {raised:.0f}"
    return f"waited {number(payload.get('seconds')):.1f} s for the rate limit"


def _review_detail(event_type: str, payload: Mapping[str, Any]) -> str:
    if event_type == "review.task":
        body = payload.get("payload")
        objective = body.get("objective") if isinstance(body, Mapping) else ""
        return f"to {plain_text(payload.get('agent'), 80)}: {plain_text(objective)}"
    if event_type == "review.contribution":
        listed = payload.get("listed")
        count = len(listed) if isinstance(listed, list) else 0
        verdict = plain_text(payload.get("verdict"), 40)
        return f"{plain_text(payload.get('agent'), 80)}: {count} finding(s), {verdict}"
    if event_type == "review.merged":
        found = payload.get("findings")
        return f"{len(found) if isinstance(found, list) else 0} finding(s) after merging"
    if event_type == "review.synthesis":
        total = plain_text(payload.get("findings"), 20)
        return f"{plain_text(payload.get('event'), 40)}, {total} finding(s)"
    return ""


def build(events: Iterable[tuple[int, Event]]) -> Timeline:
    """The timeline of a run's events (oldest first)."""
    found = list(events)
    entries = [entry(seq, event) for seq, event in found]
    truncated = max(0, len(entries) - MAX_ENTRIES)
    bars = _bars(found)
    return Timeline(
        entries=entries[truncated:],
        bars=bars[:MAX_BARS],
        costs=_costs(event for _, event in found),
        blackboard=blackboard(event for _, event in found),
        last_seq=found[-1][0] if found else 0,
        truncated=truncated,
        bars_left_out=max(0, len(bars) - MAX_BARS),
        stage_seconds=_stage_seconds(event for _, event in found),
    )


def _stage_seconds(events: Iterable[Event]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for event in events:
        if event.event_type in ("stage.finished", "stage.failed"):
            stage = plain_text(event.payload.get("stage"), 80)
            seconds[stage] = seconds.get(stage, 0.0) + number(event.payload.get("seconds"))
    return seconds


def _bars(events: list[tuple[int, Event]]) -> list[Bar]:
    """A bar per stage attempt and per agent, from its start event to its end event."""
    bars: list[Bar] = []
    open_bars: dict[tuple[str, str], Bar] = {}
    for _, event in events:
        payload = event.payload
        if event.event_type == "model.response":
            # A call's cost goes to its agent's bar and to the bar of the stage it ran in
            # (an event's source is "<pipeline>.<stage>").
            stage = event.source_agent.rpartition(".")[2]
            for key in (("agent", plain_text(payload.get("agent"), 80)), ("stage", stage)):
                if key in open_bars:
                    open_bars[key].cost_usd += number(payload.get("cost_usd"))
            continue
        kind, _, moment = event.event_type.partition(".")
        if kind not in ("stage", "agent"):
            continue
        name = plain_text(payload.get(kind), 80)
        if moment == "started":
            bar = Bar(f"{kind}: {name}", kind, name, event.timestamp, None)
            open_bars[(kind, name)] = bar
            bars.append(bar)
        elif moment in ("finished", "failed"):
            started = open_bars.pop((kind, name), None)
            if started is not None:
                started.end = event.timestamp
                started.failed = moment == "failed" or (
                    kind == "agent" and payload.get("status") not in AGENT_DONE
                )
    return bars


def _costs(events: Iterable[Event]) -> Costs:
    costs = Costs()
    for event in events:
        if event.event_type != "model.response":
            continue
        payload = event.payload
        tokens_in, tokens_out = _usage(payload)
        usd = number(payload.get("cost_usd"))
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
