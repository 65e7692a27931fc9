"""The pull request's title and body."""

from __future__ import annotations

from bot.evidence import CriterionEvidence, TestCase, TestRun
from bot.pull_request import MARKER, TestReport, pull_title, render_pull_body

RUN = TestRun(
    cases=(
        TestCase(
            name="test_c1_header", classname="tests.test_export", outcome="passed", seconds=0.1
        ),
        TestCase(
            name="test_c2_empty",
            classname="tests.test_export",
            outcome="failed",
            seconds=0.1,
            message="boom",
        ),
        TestCase(name="test_other", classname="tests.test_export", outcome="skipped", seconds=0.0),
    )
)
EVIDENCE = [
    CriterionEvidence(
        number=1,
        text="CSV has a header | row",
        status="met",
        tests=("tests.test_export::test_c1_header",),
    ),
    CriterionEvidence(
        number=2,
        text="Empty export, ask @alice",
        status="failed",
        tests=("tests.test_export::test_c2_empty",),
    ),
    CriterionEvidence(number=3, text="Within 2 s", status="unverified", tests=()),
]


def test_title_names_the_issue_and_fits() -> None:
    """The title ends with the issue number and stays within 256 characters."""
    assert pull_title(7, " Export CSV ") == "Export CSV (#7)"
    long_title = pull_title(12345, "x" * 400)
    assert len(long_title) == 256 and long_title.endswith(" (#12345)")


def test_body_reports_measured_evidence() -> None:
    """Criteria, test totals and files come from measurements, and the issue is closed."""
    body = render_pull_body(
        7,
        "Adds CSV export.",
        EVIDENCE,
        TestReport(command="pytest -q", exit_code=1, seconds=3.25, run=RUN),
        ["app/export.py", "tests/test_export.py"],
        notes=[".github/workflows/ci.yml was changed by the agent and restored."],
    )
    assert body.startswith(MARKER + "\n\nImplements #7.")
    assert "### Acceptance criteria (1 of 3 met by passing tests)" in body
    assert (
        "| C1 | CSV has a header \\| row | ✅ met | `tests.test_export::test_c1_header` |" in body
    )
    assert "| C2 | Empty export, ask @\u200balice | ❌ failed |" in body
    assert "| C3 | Within 2 s | ⚠️ no test names it | — |" in body
    assert "`pytest -q` exited 1 after 3.2 s: 1 passed, 1 failed, 0 errors, 1 skipped." in body
    assert "### Files changed (2)\n\n- `app/export.py`\n- `tests/test_export.py`" in body
    assert "restored" in body
    assert body.endswith("Closes #7")


def test_body_without_tests_or_criteria_says_so() -> None:
    """Missing test runs and criteria are stated, never invented."""
    body = render_pull_body(3, "", [], None, [])
    assert "_The spec lists no acceptance criteria._" in body
    assert "nothing was run" in body
    assert "### Files changed" not in body
    no_report = render_pull_body(
        3, "s", [], TestReport(command="make test", exit_code=0, seconds=1, run=None), []
    )
    assert "it wrote no JUnit report" in no_report


def test_huge_body_is_cut_but_still_closes_the_issue() -> None:
    """A body over GitHub's limit is cut and keeps ``Closes #n``."""
    files = [f"src/{'d' * 200}/{n}.py" for n in range(500)]
    body = render_pull_body(9, "s" * 70_000, EVIDENCE, None, files)
    assert len(body) <= 65_536
    assert body.endswith("Closes #9")
