"""The tracking comment: one per run, created once and edited in place (pure rendering).

The comment carries a hidden marker naming its run, so that a restarted worker finds the
comment it already posted instead of posting a second one. Everything else is rendered from a
``RunReport`` each time the run changes, so the comment is always a function of the run's state.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

GITHUB_COMMENT_LIMIT = 65_536
_MARKER = "<!-- specbot:tracking {key} -->"
_MARKER_PATTERN = re.compile(r"<!-- specbot:tracking (?P<key>[^\s>]+) -->")


class StageState(StrEnum):
    """Where a stage of the run stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


_STATE_ICONS = {
    StageState.PENDING: "⏳",
    StageState.RUNNING: "🔄",
    StageState.DONE: "✅",
    StageState.FAILED: "❌",
    StageState.SKIPPED: "⏭️",
    StageState.CANCELLED: "🚫",
}


class Stage(BaseModel):
    """One line of the run's checklist."""

    model_config = ConfigDict(frozen=True)

    name: str
    state: StageState = StageState.PENDING
    seconds: float | None = None
    detail: str = ""


class Link(BaseModel):
    """A named link shown under the checklist (branch, pull request, check run, run page)."""

    model_config = ConfigDict(frozen=True)

    label: str
    url: str


class RunReport(BaseModel):
    """Everything the tracking comment shows about one run; every figure is measured."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern=r"^[^\s>]+$")
    title: str
    gate_markdown: str = ""
    stages: tuple[Stage, ...] = ()
    links: tuple[Link, ...] = ()
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    outcome: str = ""
    next_steps: tuple[str, ...] = ()


def marker(key: str) -> str:
    """The hidden marker that identifies the tracking comment of run ``key``."""
    return _MARKER.format(key=key)


def find_marker(body: str | None) -> str | None:
    """The run key of a tracking comment, or None if ``body`` is not one."""
    match = _MARKER_PATTERN.search(body or "")
    return match.group("key") if match else None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f" ({seconds:.1f} s)"
    minutes, rest = divmod(int(seconds), 60)
    return f" ({minutes} min {rest:02d} s)"


def _stage_line(stage: Stage) -> str:
    tick = "x" if stage.state in (StageState.DONE, StageState.SKIPPED) else " "
    detail = f": {stage.detail}" if stage.detail else ""
    return (
        f"- [{tick}] {_STATE_ICONS[stage.state]} **{stage.name}** {stage.state.value}"
        f"{_duration(stage.seconds)}{detail}"
    )


def _fit(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    note = "\n\n_…cut to fit GitHub's comment limit._"
    return text[: max(0, room - len(note))] + note


def render_tracking_comment(report: RunReport) -> str:
    """The tracking comment's Markdown: verdict, stages, links, usage, outcome, next steps.

    Only the spec verdict can be long; it is cut (with a note) so the whole comment stays
    within GitHub's 65,536-character limit and the checklist below it is never lost.
    """
    head = [marker(report.key), f"### specbot · {report.title}"]
    if report.outcome:
        head.append(f"**{report.outcome}**")
    tail: list[str] = []
    if report.stages:
        tail.append("\n".join(_stage_line(stage) for stage in report.stages))
    if report.links:
        tail.append(" · ".join(f"[{link.label}]({link.url})" for link in report.links))
    tail.append(
        f"Tokens: {report.input_tokens:,} in / {report.output_tokens:,} out"
        f" · cost so far: ${report.cost_usd:.4f}"
    )
    if report.next_steps:
        tail.append("**Next steps**\n" + "\n".join(f"- {step}" for step in report.next_steps))
    fixed = "\n\n".join(head + tail)
    if not report.gate_markdown:
        return fixed
    room = GITHUB_COMMENT_LIMIT - len(fixed) - 4
    gate = _fit(report.gate_markdown, room)
    return "\n\n".join([*head, gate, *tail])
