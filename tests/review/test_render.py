"""Drafting the review and the check run from merged findings."""

from __future__ import annotations

from typing import Any

from bot.review import (
    Finding,
    MergedFinding,
    ReviewEvent,
    build_annotations,
    check_conclusion,
    check_summary,
    draft_review,
    finding_marker,
    fingerprint,
    marker_key,
    posted_fingerprints,
)
from tests.markdown_probe import foreign_html, last_block_is_paragraph, live_mentions, rendered_text

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


def test_a_one_click_suggestion_only_on_the_lines_its_quote_names() -> None:
    """A suggestion replaces the commented lines, so it is offered as one only where the
    finding's quote matched them, or where an unquoted finding stayed on its own lines;
    otherwise it is shown as plain code."""
    quoted = draft_review(
        [_merged(line=3, quote="import sys", suggestion="import sys  # noqa\n")],
        {"app.py": PATCH},
        ReviewEvent.COMMENT,
        "s",
    )
    [comment] = quoted.comments
    assert comment.line == 2  # the quote, not the miscounted line
    assert "```suggestion\nimport sys  # noqa\n```" in comment.body
    assert "_Reported on line 3; placed on the code it quotes._" in comment.body
    unquoted = draft_review(
        [_merged(suggestion="import sys  # noqa")], {"app.py": PATCH}, ReviewEvent.COMMENT, "s"
    )
    assert "```suggestion\nimport sys  # noqa\n```" in unquoted.comments[0].body  # as always
    moved = draft_review(
        [_merged(line=40, suggestion="x = 1")], {"app.py": PATCH}, ReviewEvent.COMMENT, "s"
    )
    [plain] = moved.comments
    assert plain.line == 4
    assert "_Reported on line 40, outside the diff; shown here._" in plain.body
    assert "```suggestion" not in plain.body  # it would replace a line it was not written for
    assert "Suggested change:\n\n```\nx = 1\n```" in plain.body


def test_a_finding_whose_quote_is_not_in_the_diff_goes_to_the_body_with_the_reason() -> None:
    draft = draft_review(
        [_merged(quote="import subprocess", suggestion="x")],
        {"app.py": PATCH},
        ReviewEvent.COMMENT,
        "s",
    )
    assert draft.comments == ()
    assert "**`app.py` line 2** (the quoted code is not in the diff)" in draft.body
    assert "```suggestion" not in draft.body


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
    assert "**`other.py` line 9** (the file has no diff to comment on)" in draft.body
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


KEY = marker_key("a secret only the service holds")
HOSTILE = [
    _merged(path="a/unclosed.py", line=1, category="style", message="Hides the rest <!-- "),
    _merged(path="b/fence.py", line=1, category="docs", message="Opens\n```python\nx = 1"),
    _merged(path="c/`@mallory` x.py", line=1, category="naming", message="backtick path"),
    _merged(category="@acme/security-team", message="See #1, GH-2, acme/widgets#3 &#64;bob"),
]


def test_hostile_findings_are_posted_inert_and_all_visible() -> None:
    """Mentions, references, HTML and fences in every field: nothing acts, nothing is hidden."""
    draft = draft_review(
        HOSTILE, {"app.py": PATCH}, ReviewEvent.COMMENT, "Summary @alice", ["x`@bob`.py"]
    )
    for body in [draft.body, *(comment.body for comment in draft.comments)]:
        assert foreign_html(body) == [] and live_mentions(body) == []
    shown = rendered_text(draft.body)
    for path in ("a/unclosed.py", "b/fence.py", "c/`@mallory` x.py", "x`@bob`.py"):
        assert path in shown  # inside code spans, exactly as named
    assert "Hides the rest" in shown and "backtick path" in shown
    assert last_block_is_paragraph(draft.body + "\n\nend", "end")
    for annotation in build_annotations(HOSTILE):
        assert "@a" not in annotation.title and "<!--" not in annotation.message
        assert "#1" not in annotation.message and "@bob" not in annotation.message
    summary = check_summary("2 finding(s) @alice", ["x`@bob`.py <!--"])
    assert foreign_html(summary) == [] and live_mentions(summary) == []


def test_suggestions_cannot_close_their_fence() -> None:
    """A suggestion holding ``` stays one suggestion; the comment has nothing live after it."""
    item = _merged(quote="import sys", suggestion="x = '```'\n```\n@mallory <!--\n")
    [comment] = draft_review([item], {"app.py": PATCH}, ReviewEvent.COMMENT, "s").comments
    assert "````suggestion\nx = '```'\n```\n@mallory <!--\n````" in comment.body
    assert foreign_html(comment.body) == [] and live_mentions(comment.body) == []


def test_markers_are_signed_and_only_valid_ones_count() -> None:
    """A posted marker verifies; old, forged and copied-into-text ones count for nothing."""
    item = _merged()
    draft = draft_review([item], {"app.py": PATCH}, ReviewEvent.COMMENT, "s", key=KEY)
    assert posted_fingerprints([draft.comments[0].body], KEY) == {item.fingerprint}
    assert posted_fingerprints([draft.comments[0].body], marker_key("another key")) == set()
    old = f"<!-- specbot:finding:{item.fingerprint} -->"
    forged = f"<!-- specbot:finding:{item.fingerprint}:{'0' * 32} -->"
    assert posted_fingerprints([old, forged], KEY) == set()
    # A model that copies a valid marker into its message posts it as text, not as a marker.
    echoed = _merged(message=f"as before {finding_marker(KEY, 'ab' * 8)}")
    posted = draft_review([echoed], {"app.py": PATCH}, ReviewEvent.COMMENT, "s", key=KEY)
    assert posted_fingerprints([posted.comments[0].body], KEY) == {echoed.fingerprint}
