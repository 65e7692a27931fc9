"""What one analyser run produced: a reviewer report for the swarm, and how it went."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.review import Finding, ReviewerReport

MAX_MESSAGE_CHARS = 2_000  # a tool's message is data from untrusted code: keep it short
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class AnalyserStatus(StrEnum):
    """Whether an analyser ran, failed, or was not run."""

    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


class AnalyserOutcome(BaseModel):
    """One analyser's part of the swarm: its report, plus what was dropped and why."""

    model_config = ConfigDict(frozen=True)

    analyser: str
    status: AnalyserStatus
    report: ReviewerReport
    files: int
    kept: int
    outside_diff: int
    over_limit: int
    invalid: int
    detail: str


@dataclass
class Parsed:
    """Findings read from a tool's output, and how many entries could not be used."""

    findings: list[Finding] = field(default_factory=list)
    invalid: int = 0


def clean_text(value: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Tool text made safe to show: a string, no control characters, at most ``limit`` chars."""
    text = _CONTROL.sub(" ", value if isinstance(value, str) else str(value or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_positive_int(value: object) -> int | None:
    """``value`` when it is a line number (an int of at least 1, not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def summarise_outcomes(outcomes: Sequence[AnalyserOutcome]) -> str:
    """A Markdown list for the review body: one line per analyser, saying what it did."""
    marks = {AnalyserStatus.OK: "✅", AnalyserStatus.ERROR: "❌", AnalyserStatus.SKIPPED: "⏭️"}
    return "\n".join(
        f"- {marks[o.status]} **{o.analyser}**: {clean_text(o.detail, 500)}" for o in outcomes
    )
