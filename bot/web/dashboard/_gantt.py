"""The run's stages and agents as a Gantt chart, in inline SVG: where the time went, at a glance.

One lane per stage and per agent, a bar from its start to its end (up to ``until``, now while
the run runs, when it has no end yet), coloured by kind, failed bars in red, a time axis and a
legend. Every text is escaped: lane names come from agents and models.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.web.dashboard._text import plain_text
from bot.web.dashboard._timeline import Bar

WIDTH = 960
LABEL_WIDTH = 220
LANE_HEIGHT = 22
TOP = 28
# Colours with at least 4.5:1 contrast on the chart's white, so white-on-bar reads too.
COLOURS = {"stage": "#1f5fa8", "agent": "#2e7d32", "failed": "#b3261e", "running": "#8a5300"}


def _seconds(start: datetime, at: datetime) -> float:
    return max(0.0, (at - start).total_seconds())


def gantt_svg(
    bars: list[Bar], until: datetime, title: str, *, left_out: int = 0, running: bool = True
) -> str:
    """The chart as an ``<svg>`` element (an empty chart says there is nothing yet).

    ``until``: where bars without an end stop (now, or the end of a finished run);
    ``left_out``: how many bars were not drawn (the chart says so).
    """
    lanes = list(dict.fromkeys(bar.lane for bar in bars))
    note = f"{left_out} more bars are not drawn." if left_out else ""
    height = TOP + LANE_HEIGHT * max(1, len(lanes)) + (60 if note else 40)
    stages = sum(1 for bar in bars if bar.kind == "stage")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="gantt-title gantt-desc" class="gantt" '
        # Readable alone (``/timeline.svg``) too, where the page's stylesheet does not apply.
        f'font-family="system-ui, sans-serif" font-size="13" fill="#1f2328" '
        f'preserveAspectRatio="xMinYMin meet">',
        # Control characters are not allowed in XML: one would make the chart unreadable.
        f'<title id="gantt-title">{escape(plain_text(title, 400))}</title>',
        f'<desc id="gantt-desc">{stages} stage bar(s) and {len(bars) - stages} agent bar(s). '
        f"{note}</desc>",
    ]
    if not bars:
        parts.append('<text x="10" y="40" class="empty">No stage has started yet.</text></svg>')
        return "".join(parts)
    began = min(bar.start for bar in bars)
    ends = [bar.end or max(until, bar.start) for bar in bars]
    total = max(1.0, max(_seconds(began, end) for end in ends))
    scale = (WIDTH - LABEL_WIDTH - 20) / total
    bottom = TOP + LANE_HEIGHT * len(lanes)
    parts.append(_axis(total, scale, bottom))
    costs = {lane: sum(bar.cost_usd for bar in bars if bar.lane == lane) for lane in lanes}
    for index, lane in enumerate(lanes):
        parts.append(_lane(lane, costs[lane], TOP + index * LANE_HEIGHT))
    lane_of = {lane: index for index, lane in enumerate(lanes)}
    for bar, end in zip(bars, ends, strict=True):
        y = TOP + lane_of[bar.lane] * LANE_HEIGHT
        parts.append(_bar(bar, end, began, scale, y, running))
    parts.append(_legend(bottom + 26))
    if note:
        parts.append(f'<text x="4" y="{bottom + 48}" class="note">{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _lane(lane: str, cost_usd: float, y: int) -> str:
    """A lane's name (cut to fit, whole in its tooltip) and what its model calls cost."""
    room = 30 if not cost_usd else 20
    shown = lane if len(lane) <= room else lane[: room - 1] + "…"
    text = (
        f'<text x="4" y="{y + 15}" class="lane">{escape(shown)}<title>{escape(lane)}</title></text>'
    )
    if cost_usd:
        text += (
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" class="cost">'
            f"${cost_usd:.4f}</text>"
        )
    return text


def _bar(bar: Bar, end: datetime, began: datetime, scale: float, y: int, running: bool) -> str:
    x = LABEL_WIDTH + _seconds(began, bar.start) * scale
    width = max(2.0, _seconds(bar.start, end) * scale)
    kind = "failed" if bar.failed else "running" if bar.end is None else bar.kind
    open_state = "running" if running else "no end recorded"
    state = "failed" if bar.failed else open_state if bar.end is None else "done"
    spent = f", ${bar.cost_usd:.4f}" if bar.cost_usd else ""
    tip = f"{bar.kind} {bar.label}: {_seconds(bar.start, end):.1f} s, {state}{spent}"
    return (
        f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{LANE_HEIGHT - 6}" '
        f'rx="3" fill="{COLOURS[kind]}" class="bar {kind}"><title>{escape(tip)}</title></rect>'
    )


def _axis(total: float, scale: float, bottom: int) -> str:
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800) if total / s <= 8), 3600)
    marks = []
    tick = 0
    while tick <= total:
        x = LABEL_WIDTH + tick * scale
        label = f"{tick // 60}m{tick % 60:02d}s" if tick >= 60 else f"{tick}s"
        marks.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom}" class="tick"/>'
            f'<text x="{x:.1f}" y="{TOP - 8}" class="axis">{label}</text>'
        )
        tick += step
    return "".join(marks)


def _legend(y: int) -> str:
    items = []
    for index, (kind, colour) in enumerate(COLOURS.items()):
        x = LABEL_WIDTH + index * 120
        items.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y}" class="legend">{kind}</text>'
        )
    return "".join(items)
