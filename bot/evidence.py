"""Measured evidence for acceptance criteria: test results read from JUnit XML (pure).

specbot never takes a model's word that a criterion is met. The implementer is asked to name
each test after the criterion it proves (``test_c2_...`` or ``[C2]`` covers criterion 2); the
tester runs the suite with a JUnit report, and a criterion counts as met only when tests that
name it ran and all passed. The report comes from code an agent wrote, so it is parsed with
``defusedxml`` (no entity expansion) and its size is capped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from pydantic import BaseModel, ConfigDict

Outcome = Literal["passed", "failed", "error", "skipped"]
CriterionStatus = Literal["met", "failed", "unverified"]
MAX_REPORT_BYTES = 20 * 1024 * 1024
_CRITERION_TAG = re.compile(r"(?:^|[^a-z0-9])a?c(\d{1,3})(?![0-9])")


class EvidenceError(Exception):
    """A test report that cannot be read."""


class TestCase(BaseModel):
    """One test case of a JUnit report."""

    __test__ = False  # not a pytest test class, despite the name
    model_config = ConfigDict(frozen=True)

    name: str
    classname: str
    outcome: Outcome
    seconds: float
    message: str = ""


class TestRun(BaseModel):
    """Every test case of one run, with totals computed from them."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    cases: tuple[TestCase, ...]

    def count(self, outcome: Outcome) -> int:
        """How many cases had ``outcome``."""
        return sum(1 for case in self.cases if case.outcome == outcome)

    @property
    def ok(self) -> bool:
        """True when at least one test ran and none failed or errored."""
        ran = self.count("passed") + self.count("failed") + self.count("error")
        return ran > 0 and self.count("failed") == 0 and self.count("error") == 0


class CriterionEvidence(BaseModel):
    """One acceptance criterion with the tests that name it and what they showed."""

    model_config = ConfigDict(frozen=True)

    number: int
    text: str
    status: CriterionStatus
    tests: tuple[str, ...]


_NOT_PASSED: tuple[tuple[str, Outcome], ...] = (
    ("failure", "failed"),
    ("error", "error"),
    ("skipped", "skipped"),
)


def _outcome(case: Element) -> tuple[Outcome, str]:
    for tag, outcome in _NOT_PASSED:
        child = case.find(tag)
        if child is not None:
            message = child.get("message") or (child.text or "")
            return outcome, message.strip()[:500]
    return "passed", ""


def parse_junit(xml_text: str | bytes) -> TestRun:
    """Read a JUnit XML report (pytest ``--junitxml``, and most other runners)."""
    if len(xml_text) > MAX_REPORT_BYTES:
        raise EvidenceError(f"test report larger than {MAX_REPORT_BYTES} bytes")
    try:
        root = SafeET.fromstring(xml_text)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise EvidenceError(f"test report is not valid JUnit XML: {exc}") from exc
    cases: list[TestCase] = []
    for case in root.iter("testcase"):
        outcome, message = _outcome(case)
        try:
            seconds = float(case.get("time") or 0.0)
        except ValueError:
            seconds = 0.0
        cases.append(
            TestCase(
                name=case.get("name") or "?",
                classname=case.get("classname") or "",
                outcome=outcome,
                seconds=seconds,
                message=message,
            )
        )
    return TestRun(cases=tuple(cases))


def criterion_numbers(test_name: str) -> set[int]:
    """The criterion numbers a test names (``test_c2_x`` -> {2}, ``[AC3]`` -> {3})."""
    return {int(number) for number in _CRITERION_TAG.findall(test_name.lower())}


def link_criteria(criteria: Sequence[str], run: TestRun | None) -> list[CriterionEvidence]:
    """Each criterion (numbered from 1) with its tests: met, failed or unverified."""
    results: list[CriterionEvidence] = []
    for number, text in enumerate(criteria, start=1):
        cases = [
            case
            for case in (run.cases if run else ())
            if number in criterion_numbers(f"{case.classname}.{case.name}")
            and case.outcome != "skipped"
        ]
        if not cases:
            status: CriterionStatus = "unverified"
        elif all(case.outcome == "passed" for case in cases):
            status = "met"
        else:
            status = "failed"
        names = tuple(f"{case.classname}::{case.name}".lstrip(":") for case in cases)
        results.append(CriterionEvidence(number=number, text=text, status=status, tests=names))
    return results
