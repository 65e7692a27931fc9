"""Analyser reports flow through the review domain like any reviewer's."""

from __future__ import annotations

from bot.analysers import (
    BanditAnalyser,
    RuffAnalyser,
    SemgrepAnalyser,
    default_analysers,
    run_analysers,
    summarise_outcomes,
)
from bot.review import (
    ReviewEvent,
    ReviewPolicy,
    decide,
    draft_review,
    merge_findings,
    split_for_review,
)
from tests.analysers.conftest import Change

HEAD = (
    "import subprocess\n"
    "\n"
    "\n"
    "def run(cmd):\n"
    "    subprocess.call(cmd, shell=True)\n"
    '    return f"done"\n'
)


def test_analyser_findings_become_inline_comments_and_request_changes(change: Change) -> None:
    """shell=True requests changes; each finding is an inline comment on its own line."""
    root, diffs = change({"svc.py": "X = 1\n"}, {"svc.py": HEAD, "poetry.lock": "[[package]]\n"})
    outcomes = run_analysers(default_analysers(), root, diffs)
    merged = merge_findings(o.report for o in outcomes)
    event = decide(merged, ReviewPolicy())
    split = split_for_review(diffs, budget=10_000)
    draft = draft_review(
        merged,
        {d.path: d.patch for d in diffs},
        event,
        "Swarm summary",
        not_reviewed=[item.path for item in split.not_reviewed],
    )
    assert event is ReviewEvent.REQUEST_CHANGES
    lines = {c.line: c.body for c in draft.comments}
    assert "bandit B602" in lines[5] and "**major** · security" in lines[5]
    assert "ruff F541" in lines[6] and '```suggestion\n    return "done"\n```' in lines[6]
    assert "#### Not reviewed\n\n- `poetry.lock`" in draft.body


def test_the_outcomes_summary_has_one_line_per_analyser(change: Change) -> None:
    """The review body lists each analyser with what it did, including one that was skipped."""
    root, diffs = change({"svc.py": "X = 1\n"}, {"svc.py": HEAD})
    absent = SemgrepAnalyser(path=str(root / "no-semgrep-here"))
    outcomes = run_analysers([RuffAnalyser(), BanditAnalyser(), absent], root, diffs)
    lines = summarise_outcomes(outcomes).splitlines()
    assert lines == [
        "- ✅ **ruff**: 1 finding(s) on changed lines of 1 file(s)",
        "- ✅ **bandit**: 2 finding(s) on changed lines of 1 file(s)",
        "- ⏭️ **semgrep**: semgrep is not installed",
    ]
