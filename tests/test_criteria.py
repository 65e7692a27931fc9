"""The criteria check's pure parts: states, waivers, tied findings, the PR body's table."""

from __future__ import annotations

import base64

import pytest

from bot.criteria import (
    WaiveError,
    Waiver,
    check_summary,
    conclusion,
    criteria_rows,
    parse_waive,
    pull_section,
    read_waivers,
    replace_pull_section,
    tied_findings,
    title,
    waiver_comment,
)
from bot.evidence import CriterionEvidence, TestCase, TestRun
from bot.pull_request import TestReport, render_pull_body
from bot.review import Finding, MergedFinding, Severity

BOT = "specbot[bot]"
EVIDENCE = [
    CriterionEvidence(number=1, text="returns 25.4", status="met", tests=("t::test_c1",)),
    CriterionEvidence(number=2, text="a | pipe @team", status="failed", tests=("t::test_c2",)),
    CriterionEvidence(number=3, text="under 1 ms", status="unverified", tests=()),
]
TESTS = TestReport(
    command="pytest -q",
    exit_code=1,
    seconds=1.0,
    run=TestRun(
        cases=(
            TestCase(name="test_c1", classname="t", outcome="passed", seconds=0.1),
            TestCase(name="test_c2", classname="t", outcome="failed", seconds=0.1),
        )
    ),
)


def test_parse_waive_takes_a_number_and_a_reason() -> None:
    """``3 reason`` and ``C3: reason``; no number or no reason is a one-line error."""
    assert parse_waive("3 measured in the benchmark") == (3, "measured in the benchmark")
    assert parse_waive("C3: measured\n  elsewhere") == (3, "measured elsewhere")
    with pytest.raises(WaiveError, match="needs a reason"):
        parse_waive("3")
    with pytest.raises(WaiveError, match="criterion's number"):
        parse_waive("all of them")


def test_waivers_come_from_specbots_own_comments_only() -> None:
    """A waiver comment round-trips; a pasted marker by a person or a forged one counts not."""
    waiver = Waiver(criterion=3, by="alice", reason="benchmarked @team", command_id=7)
    comment = waiver_comment(waiver)
    assert "waived by @alice: benchmarked @\u200bteam" in comment
    forged = base64.urlsafe_b64encode(b'{"criterion": 2, "by": "x"}').decode()
    comments = [
        (BOT, comment),
        ("mallory", waiver_comment(Waiver(criterion=2, by="alice", reason="fake"))),
        (BOT, f"<!-- specbot:waiver {forged} --> <!-- specbot:waiver !!! -->"),
    ]
    assert read_waivers(comments, BOT) == {3: waiver}


def test_states_and_the_conclusion() -> None:
    """Met is proven; a waiver covers the rest; the check fails while one is unproven."""
    rows = criteria_rows(EVIDENCE, {}, {})
    assert [row.state for row in rows] == ["proven", "unproven", "unproven"]
    assert conclusion(rows) == "failure" and title(rows) == "1 of 3 criteria proven"
    waivers = {n: Waiver(criterion=n, by="alice", reason="agreed") for n in (1, 2, 3)}
    rows = criteria_rows(EVIDENCE, waivers, {})
    assert [row.state for row in rows] == ["proven", "waived", "waived"]
    assert conclusion(rows) == "success" and title(rows) == "1 of 3 criteria proven, 2 waived"
    assert conclusion([]) == "neutral"


def test_the_summary_names_tests_results_and_escapes_criterion_text() -> None:
    """Each row shows its tests and their outcome; pipes and mentions in the text are defused."""
    summary = check_summary(
        criteria_rows(EVIDENCE, {}, {2: ["major at a.py:3: C2 unmet"]}), TESTS, "a" * 40
    )
    assert "| C1 | returns 25.4 | ✅ proven | passed: `t::test_c1` |" in summary
    assert "a \\| pipe @\u200bteam" in summary and "did not all pass: `t::test_c2`" in summary
    assert "review: major at a.py:3: C2 unmet" in summary
    assert "At `aaaaaaaaaaaa`: `pytest -q` exited 1: 1 passed, 1 failed" in summary


def test_findings_tied_to_a_criterion_come_from_spec_conformance() -> None:
    """Only the spec-conformance reviewer ties a finding, by naming C<N> or criterion N."""

    def merged(reviewer: str, message: str) -> MergedFinding:
        finding = Finding(
            path="a.py",
            line=3,
            severity=Severity.MAJOR,
            category="spec",
            message=message,
            confidence=0.9,
        )
        return MergedFinding(finding=finding, reviewers=(reviewer,), fingerprint="f")

    tied = tied_findings(
        [
            merged("spec-conformance", "C2 is unmet; criterion 3 too"),
            merged("correctness", "C1 looks wrong"),
            merged("spec-conformance", "abc12 is not a criterion"),
        ]
    )
    assert sorted(tied) == [2, 3]
    assert tied[2] == ["major at a.py:3: C2 is unmet; criterion 3 too"]


def test_the_pull_body_section_is_replaced_in_place() -> None:
    """The criteria section of specbot's PR body is swapped; the rest stays; twice is stable."""
    body = render_pull_body(4, "Adds it.", EVIDENCE, TESTS, ["a.py"], ["a note"])
    rows = criteria_rows(EVIDENCE, {3: Waiver(criterion=3, by="alice", reason="ok")}, {})
    section = pull_section(rows, TESTS, "b" * 40)
    new = replace_pull_section(body, section)
    assert "(1 of 3 met by passing tests, 1 waived)" in new and "waived by @alice: ok" in new
    assert new.count("### Acceptance criteria") == 1
    assert "### Summary" in new and "### Tests" in new and "### Files changed" in new
    assert new.endswith("Closes #4")
    assert replace_pull_section(new, section) == new
    bare = replace_pull_section("Someone's text.\n\nCloses #4", section)
    assert bare.startswith("Someone's text.\n\n### Acceptance") and bare.endswith("Closes #4")
