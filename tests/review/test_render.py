"""Drafting the review and the check run from merged findings."""

from __future__ import annotations

from typing import Any

from bot.review import (
    Finding,
    MergedFinding,
    ReviewEvent,
    build_annotations,
    check_conclusion,
    draft_review,
    fingerprint,
)

PATCH = "@@ -1,3 +1,4 @@\n import os\n+import sys\n x = 1\n y = 2"


def _merged(**overrides: Any) -> MergedFinding:
    fields: dict[str, Any] = {
        "path": "app.py",
        "line": 2,
        "severity": "major",
        "category": "correctness",
        "message": "sys is unused; ping @alice",
        "confidence": 0.8,
    }
    fields.update(overrides)
    finding = Finding.model_validate(fields)
    return MergedFinding(
        finding=finding, reviewers=("correctness",), fingerprint=fingerprint(finding)
    )


def test_findings_in_the_diff_become_inline_comments() -> None:
    """A finding on a diff line is an inline comment on that line with a suggestion block."""
    draft = draft_review(
        [_merged(suggestion="")], {"app.py": PATCH}, ReviewEvent.COMMENT, "Summary."
    )
    [comment] = draft.comments
    assert (comment.path, comment.line, comment.start_line, comment.side) == (
        "app.py",
        2,
        None,
        "RIGHT",
    )
    assert "**major** · correctness · confidence 80% · correctness" in comment.body
    assert "@\u200balice" in comment.body and "@alice" not in comment.body
    assert draft.body == "Summary."


def test_suggestion_block_only_where_the_finding_stays() -> None:
    """A suggestion is shown on its own line, but dropped when the comment had to move."""
    kept = draft_review(
        [_merged(suggestion="import sys  # noqa\n")], {"app.py": PATCH}, ReviewEvent.COMMENT, "s"
    )
    assert "```suggestion\nimport sys  # noqa\n```" in kept.comments[0].body
    moved = draft_review(
        [_merged(line=40, suggestion="x")], {"app.py": PATCH}, ReviewEvent.COMMENT, "s"
    )
    assert "```suggestion" not in moved.comments[0].body
    assert "Reported on line 40, outside the diff" in moved.comments[0].body
    assert moved.comments[0].line == 4


def test_findings_outside_the_diff_go_to_the_body() -> None:
    """A finding on a file the diff does not show is in the body, never dropped."""
    draft = draft_review(
        [_merged(path="other.py", line=9)],
        {"app.py": PATCH},
        ReviewEvent.REQUEST_CHANGES,
        "Summary.",
        not_reviewed=["big/generated.py"],
    )
    assert draft.comments == ()
    assert "#### Findings outside the diff" in draft.body
    assert "**`other.py`** line 9" not in draft.body
    assert "**`other.py` line 9**" in draft.body
    assert "#### Not reviewed\n\n- `big/generated.py`" in draft.body
    assert draft.event is ReviewEvent.REQUEST_CHANGES


def test_long_bodies_are_cut_to_githubs_limit() -> None:
    """Bodies never exceed GitHub's 65,536-character limit."""
    huge = _merged(message="x" * 9_999)
    draft = draft_review([huge] * 10, {}, ReviewEvent.COMMENT, "y" * 60_000)
    assert len(draft.body) <= 65_536
    assert draft.body.endswith("_…cut to fit GitHub's limit._")


def test_annotations_map_severity_to_levels() -> None:
    """critical/major -> failure, minor -> warning, nit -> notice; ranges ordered."""
    found = build_annotations(
        [
            _merged(severity="critical", line=3, end_line=5),
            _merged(severity="minor"),
            _merged(severity="nit"),
        ]
    )
    assert [(a.annotation_level, a.start_line, a.end_line) for a in found] == [
        ("failure", 3, 5),
        ("warning", 2, 2),
        ("notice", 2, 2),
    ]
    assert found[0].title == "critical: correctness"


def test_check_conclusion() -> None:
    """Requested changes fail the check; other findings are neutral; none is success."""
    assert check_conclusion([_merged()], ReviewEvent.REQUEST_CHANGES) == "failure"
    assert check_conclusion([_merged()], ReviewEvent.COMMENT) == "neutral"
    assert check_conclusion([], ReviewEvent.COMMENT) == "success"
