"""Rendering the tracking comment and finding it again by its marker."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.tracking import (
    GITHUB_COMMENT_LIMIT,
    Link,
    RunReport,
    Stage,
    StageState,
    find_marker,
    marker,
    render_tracking_comment,
)

KEY = "spec:acme/widgets#7:3f2a"


def _report(**overrides: object) -> RunReport:
    fields: dict[str, object] = {
        "key": KEY,
        "title": "issue #7: CSV export",
        "gate_markdown": "#### Spec verdict: ready (score 92)",
        "stages": (
            Stage(name="Gate", state=StageState.DONE, seconds=0.4),
            Stage(name="Plan", state=StageState.DONE, seconds=75.2),
            Stage(name="Implement", state=StageState.RUNNING, detail="turn 3 of 40"),
            Stage(name="Test"),
        ),
        "links": (Link(label="branch", url="https://github.com/acme/widgets/tree/b"),),
        "input_tokens": 12345,
        "output_tokens": 678,
        "cost_usd": 0.0421,
        "outcome": "Running",
        "next_steps": ("Nothing to do yet.",),
    }
    fields.update(overrides)
    return RunReport.model_validate(fields)


def test_comment_lists_verdict_then_stages_then_usage() -> None:
    """The verdict comes first, then the checklist with states and durations, then usage."""
    body = render_tracking_comment(_report())
    assert body.startswith(marker(KEY) + "\n\n### specbot · issue #7: CSV export")
    assert body.index("Spec verdict") < body.index("**Gate**") < body.index("Tokens:")
    assert "- [x] ✅ **Gate** done (0.4 s)" in body
    assert "- [x] ✅ **Plan** done (1 min 15 s)" in body
    assert "- [ ] 🔄 **Implement** running: turn 3 of 40" in body
    assert "- [ ] ⏳ **Test** pending" in body
    assert "[branch](https://github.com/acme/widgets/tree/b)" in body
    assert "Tokens: 12,345 in / 678 out · cost so far: $0.0421" in body
    assert body.endswith("**Next steps**\n- Nothing to do yet.")


def test_marker_round_trips() -> None:
    """The key rendered into a comment is found again in its body."""
    assert find_marker(render_tracking_comment(_report())) == KEY
    assert find_marker("a human comment mentioning specbot:tracking") is None
    assert find_marker(None) is None


def test_key_cannot_break_the_marker() -> None:
    """A key with spaces or ``>`` would end the HTML comment early, so it is refused."""
    with pytest.raises(ValidationError):
        _report(key="a --> b")


def test_huge_verdict_is_cut_and_the_checklist_kept() -> None:
    """A verdict longer than GitHub's limit is cut with a note; stages and usage stay."""
    body = render_tracking_comment(_report(gate_markdown="x" * 100_000))
    assert len(body) <= GITHUB_COMMENT_LIMIT
    assert "cut to fit GitHub's comment limit" in body
    assert "**Implement**" in body and "Tokens:" in body


def test_minimal_report() -> None:
    """A report with only a key and a title renders without empty sections."""
    body = render_tracking_comment(RunReport(key="k", title="t"))
    assert (
        body == f"{marker('k')}\n\n### specbot · t\n\nTokens: 0 in / 0 out · cost so far: $0.0000"
    )


@given(st.text(max_size=70_000))
def test_any_verdict_fits(verdict: str) -> None:
    """Whatever the verdict text, the comment fits GitHub's limit and keeps its marker."""
    body = render_tracking_comment(_report(gate_markdown=verdict))
    assert len(body) <= GITHUB_COMMENT_LIMIT
    assert find_marker(body) == KEY
