"""Criteria evidence from real JUnit reports written by pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.evidence import (
    EvidenceError,
    TestRun,
    criterion_numbers,
    link_criteria,
    parse_junit,
)

TESTS = """
import pytest

def test_c1_export_has_header():
    assert True

def test_c2_empty_export_is_header_only():
    assert 1 == 2, "expected header only"

def test_c2_second_check():
    assert True

@pytest.mark.skip(reason="later")
def test_c3_skipped():
    pass

def test_unrelated():
    assert True

@pytest.mark.parametrize("n", [1, 2])
def test_ac4_rows(n):
    assert n
"""


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A JUnit report produced by a real pytest run over a small suite."""
    folder = tmp_path_factory.mktemp("suite")
    (folder / "test_export.py").write_text(TESTS)
    report = folder / "report.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            str(folder / "test_export.py"),
        ],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    return report.read_text()


def test_report_is_read_case_by_case(real_report: str) -> None:
    """Outcomes and totals come from the report, failure messages included."""
    run = parse_junit(real_report)
    assert (run.count("passed"), run.count("failed"), run.count("skipped")) == (5, 1, 1)
    failed = next(case for case in run.cases if case.outcome == "failed")
    assert failed.name == "test_c2_empty_export_is_header_only"
    assert "expected header only" in failed.message
    assert not run.ok


def test_criteria_are_linked_to_their_tests(real_report: str) -> None:
    """Met needs passing tests; one failure fails it; no test (or only skipped) is unverified."""
    criteria = ["has a header", "empty is header only", "skipped one", "rows", "nobody tests this"]
    evidence = link_criteria(criteria, parse_junit(real_report))
    assert [(e.number, e.status, len(e.tests)) for e in evidence] == [
        (1, "met", 1),
        (2, "failed", 2),
        (3, "unverified", 0),
        (4, "met", 2),
        (5, "unverified", 0),
    ]
    assert evidence[0].tests == ("test_export::test_c1_export_has_header",)


def test_without_a_run_everything_is_unverified() -> None:
    """No test run means no criterion is claimed as met."""
    assert [e.status for e in link_criteria(["a", "b"], None)] == ["unverified", "unverified"]


@pytest.mark.parametrize(
    ("name", "numbers"),
    [
        ("test_c1_x", {1}),
        ("test_C12_and_c3", {12, 3}),
        ("test_export[AC4]", {4}),
        ("tests.test_ac2.TestX", {2}),
        ("test_etc2_abc3", set()),
        ("test_c1000", set()),
        ("test_sync", set()),
    ],
)
def test_criterion_numbers(name: str, numbers: set[int]) -> None:
    """Only ``c<N>``/``ac<N>`` tokens name criteria."""
    assert criterion_numbers(name) == numbers


@pytest.mark.parametrize(
    "text",
    [
        "not xml",
        "<testsuite><testcase></testsuite>",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<testsuite><testcase name='&lol2;'/></testsuite>",
    ],
)
def test_bad_or_hostile_reports_are_refused(text: str) -> None:
    """Malformed reports and entity expansion raise EvidenceError."""
    with pytest.raises(EvidenceError):
        parse_junit(text)


def test_empty_suite_is_not_ok() -> None:
    """A run where no test ran is not a passing run."""
    run = parse_junit("<testsuites><testsuite tests='0'/></testsuites>")
    assert run == TestRun(cases=())
    assert not run.ok


def test_odd_times_are_tolerated() -> None:
    """A non-numeric time attribute reads as zero instead of failing the report."""
    run = parse_junit("<testsuite><testcase name='t' time='fast'/></testsuite>")
    assert run.cases[0].seconds == 0.0 and run.ok


def test_oversized_reports_are_refused(tmp_path: Path) -> None:
    """A report over the size cap is refused before parsing."""
    with pytest.raises(EvidenceError, match="larger than"):
        parse_junit(b"<a>" + b" " * (20 * 1024 * 1024) + b"</a>")
