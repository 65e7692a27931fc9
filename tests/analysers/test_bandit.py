"""bandit on real files in real git repositories: security findings on the changed lines."""

from __future__ import annotations

from bot.analysers import AnalyserStatus, BanditAnalyser, run_analyser
from bot.review import Severity
from tests.analysers.conftest import Change

BASE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
HEAD = BASE + (
    "\n\n"
    "def evaluate(text):\n"  # 8
    "    return eval(text)\n"  # 9 B307 medium/high
    "\n\n"
    "def check(value):\n"  # 12
    "    assert value\n"  # 13 B101 low/high
    '    return "password123" == value\n'
)


def test_findings_land_on_changed_lines_with_mapped_severity(change: Change) -> None:
    """eval() is a minor security finding, assert a nit; the unchanged shell=True is dropped."""
    root, diffs = change({"svc/run.py": BASE}, {"svc/run.py": HEAD})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.OK, outcome.detail
    found = {f.message.split(":")[0]: f for f in outcome.report.submission.findings}
    assert {code: f.line for code, f in found.items()} == {"bandit B307": 9, "bandit B101": 13}
    assert found["bandit B307"].severity is Severity.MINOR
    assert found["bandit B307"].confidence == 0.9
    assert found["bandit B101"].severity is Severity.NIT
    assert all(f.category == "security" for f in found.values())
    assert "CWE-78" in found["bandit B307"].message
    # shell=True (line 5) and the subprocess import (line 1) are on unchanged lines.
    assert outcome.outside_diff == 2


def test_shell_injection_on_an_added_line_is_major(change: Change) -> None:
    """subprocess with shell=True added by the change is a major finding with high confidence."""
    root, diffs = change({}, {"svc/run.py": BASE})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    by_line = {f.line: f for f in outcome.report.submission.findings}
    assert by_line[5].severity is Severity.MAJOR
    assert by_line[5].message.startswith("bandit B602:")
    assert by_line[5].confidence == 0.9
    assert by_line[1].severity is Severity.NIT


def test_a_file_bandit_cannot_parse_is_counted_not_fatal(change: Change) -> None:
    """A syntax error is one of bandit's errors: counted as unusable, the other file reported."""
    root, diffs = change({}, {"bad.py": "def f(:\n", "ok.py": "x = eval('1')\n"})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.OK
    assert [f.path for f in outcome.report.submission.findings] == ["ok.py"]
    assert outcome.invalid == 1


def test_assert_is_not_reported_in_test_files(change: Change) -> None:
    """B101 is dropped in tests/ and test_*.py, kept in source files."""
    code = "def test_it():\n    assert 1 + 1 == 2\n"
    root, diffs = change({}, {"tests/test_math.py": code, "test_top.py": code, "lib.py": code})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    assert [(f.path, f.line) for f in outcome.report.submission.findings] == [("lib.py", 2)]
