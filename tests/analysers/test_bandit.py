"""bandit on real files in real git repositories: security findings on the changed lines."""

from __future__ import annotations

from bot.analysers import AnalyserStatus, BanditAnalyser, run_analyser
from bot.analysers._bandit import bandit_severity
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
    """eval() (an injection CWE) is a major security finding, assert a nit; the unchanged
    shell=True is dropped."""
    root, diffs = change({"svc/run.py": BASE}, {"svc/run.py": HEAD})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.OK, outcome.detail
    found = {f.message.split(":")[0]: f for f in outcome.report.submission.findings}
    assert {code: f.line for code, f in found.items()} == {"bandit B307": 9, "bandit B101": 13}
    assert found["bandit B307"].severity is Severity.MAJOR
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


INJECTIONS = (
    "import sqlite3\n\n\n"
    "def calc():\n"  # 4
    "    return eval(input())\n"  # 5 B307 MEDIUM, CWE-78
    "\n\n"
    "def find(name):\n"  # 8
    "    db = sqlite3.connect(':memory:')\n"
    '    return db.execute("SELECT * FROM users WHERE name = \'" + name + "\'")\n'  # 10 B608
    "\n\n"
    "def digest(data):\n"  # 13
    "    import hashlib\n"
    "    return hashlib.sha1(data).hexdigest()  # a weak hash, no injection\n"  # 15 B324
)


def test_injections_are_major_whatever_bandit_rates_them(change: Change) -> None:
    """eval(input()) and SQL built by concatenation are MEDIUM to bandit but their CWEs are
    injections: major, so the review requests changes; bandit's own HIGH stays major and a
    MEDIUM issue of another kind stays minor."""
    root, diffs = change({}, {"svc/db.py": INJECTIONS})
    outcome = run_analyser(BanditAnalyser(), root, diffs)
    found = {f.message.split(":")[0]: f for f in outcome.report.submission.findings}
    assert found["bandit B307"].severity is Severity.MAJOR
    assert "CWE-78" in found["bandit B307"].message
    assert found["bandit B608"].severity is Severity.MAJOR
    assert "CWE-89" in found["bandit B608"].message
    assert found["bandit B608"].confidence >= 0.5
    assert found["bandit B324"].severity is Severity.MAJOR  # bandit: HIGH


def test_bandit_severity_needs_medium_for_an_injection_cwe() -> None:
    """A LOW issue stays a nit whatever its CWE (B404, importing subprocess, is CWE-78);
    an unknown severity is refused rather than guessed."""
    assert bandit_severity("LOW", 78) is Severity.NIT
    assert bandit_severity("MEDIUM", 327) is Severity.MINOR
    assert bandit_severity("MEDIUM", None) is Severity.MINOR
    assert bandit_severity("MEDIUM", 89) is Severity.MAJOR
    assert bandit_severity("HIGH", None) is Severity.MAJOR
    assert bandit_severity("CRITICAL", 89) is None


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
