"""The run's stages and agents as a Gantt chart, in inline SVG: where the time went, at a glance.

One lane per stage and per agent, a bar from its start to its end (to the chart's end while it
runs), coloured by kind, failed bars in red, a time axis and a legend. Every text is escaped:
lane names come from agents and models.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.web.dashboard._timeline import Bar

WIDTH = 960
LABEL_WIDTH = 220
LANE_HEIGHT = 22
TOP = 28
COLOURS = {"stage": "#1f5fa8", "agent": "#2e7d32", "failed": "#b3261e", "running": "#b26a00"}


def _seconds(start: datetime, at: datetime) -> float:
    return max(0.0, (at - start).total_seconds())


def gantt_svg(bars: list[Bar], now: datetime, title: str) -> str:
    """The chart as an ``<svg>`` element (an empty chart says there is nothing yet)."""
    lanes: list[str] = []
    for bar in bars:
        if bar.lane not in lanes:
            lanes.append(bar.lane)
    height = TOP + LANE_HEIGHT * max(1, len(lanes)) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="gantt-title" class="gantt" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="gantt-title">{escape(title)}</title>',
    ]
    if not bars:
        parts.append('<text x="10" y="40" class="empty">No stage has started yet.</text></svg>')
        return "".join(parts)
    began = min(bar.start for bar in bars)
    ends = [bar.end or now for bar in bars]
    total = max(1.0, max(_seconds(began, end) for end in ends))
    scale = (WIDTH - LABEL_WIDTH - 20) / total
    parts.append(_axis(total, scale, height))
    for index, lane in enumerate(lanes):
        y = TOP + index * LANE_HEIGHT
        shown = lane if len(lane) <= 32 else lane[:31] + "…"
        parts.append(
            f'<text x="4" y="{y + 15}" class="lane">{escape(shown)}<title>{escape(lane)}</title>'
            "</text>"
        )
    for bar, end in zip(bars, ends, strict=True):
        parts.append(_bar(bar, end, began, scale, TOP + lanes.index(bar.lane) * LANE_HEIGHT))
    parts.append(_legend(height - 14))
    parts.append("</svg>")
    return "".join(parts)


def _bar(bar: Bar, end: datetime, began: datetime, scale: float, y: int) -> str:
    x = LABEL_WIDTH + _seconds(began, bar.start) * scale
    width = max(2.0, _seconds(bar.start, end) * scale)
    kind = "failed" if bar.failed else "running" if bar.end is None else bar.kind
    seconds = _seconds(bar.start, end)
    state = "failed" if bar.failed else "running" if bar.end is None else "done"
    tip = f"{bar.kind} {bar.label}: {seconds:.1f} s, {state}"
    return (
        f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{LANE_HEIGHT - 6}" '
        f'rx="3" fill="{COLOURS[kind]}" class="bar {kind}"><title>{escape(tip)}</title></rect>'
    )


def _axis(total: float, scale: float, height: int) -> str:
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800) if total / s <= 8), 3600)
    marks = []
    tick = 0
    while tick <= total:
        x = LABEL_WIDTH + tick * scale
        label = f"{tick // 60}m{tick % 60:02d}s" if tick >= 60 else f"{tick}s"
        marks.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{height - 30}" class="tick"/>'
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
