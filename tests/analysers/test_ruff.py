"""ruff on real files in real git repositories: findings on the changed lines, mapped sensibly."""

from __future__ import annotations

from bot.analysers import AnalyserStatus, RuffAnalyser, run_analyser
from bot.review import Finding, Severity
from tests.analysers.conftest import Change

BAD = (
    "import os\n"  # 1 F401
    "\n"
    "\n"
    "def handler(items=[]):\n"  # 4 B006
    "    if items == None:\n"  # 5 E711
    "        return missing_name\n"  # 6 F821
    '    label = f"fixed"\n'  # 7 F541 (safe fix), F841
    "    return items\n"
)


def _by_code(findings: list[Finding]) -> dict[str, Finding]:
    return {f.message.split(":")[0].removeprefix("ruff "): f for f in findings}


def test_findings_land_on_their_lines_with_mapped_severity(change: Change) -> None:
    """Each ruff rule lands on its line: undefined name major, F/B minor, E style nit."""
    root, diffs = change({}, {"app/handler.py": BAD})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.OK, outcome.detail
    found = _by_code(list(outcome.report.submission.findings))
    assert outcome.report.reviewer == "ruff"
    assert {code: f.line for code, f in found.items()} == {
        "F401": 1,
        "B006": 4,
        "E711": 5,
        "F821": 6,
        "F541": 7,
        "F841": 7,
    }
    assert found["F821"].severity is Severity.MAJOR
    assert found["F821"].category == "correctness"
    assert found["F401"].severity is Severity.MINOR
    assert found["B006"].severity is Severity.MINOR
    assert found["E711"].severity is Severity.NIT
    assert found["E711"].category == "style"
    assert all(f.path == "app/handler.py" for f in found.values())


def test_a_safe_single_edit_fix_becomes_a_suggestion_for_the_whole_line(change: Change) -> None:
    """F541's safe fix is offered as the corrected line; deletions and unsafe fixes are not."""
    root, diffs = change({}, {"fix.py": BAD})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    found = _by_code(list(outcome.report.submission.findings))
    assert found["F541"].suggestion == '    label = "fixed"'
    assert found["F541"].end_line is None
    assert "Fix: Remove extraneous `f` prefix" in found["F541"].message
    assert found["F401"].suggestion is None  # a deletion: an empty suggestion would not show
    assert found["E711"].suggestion is None  # ruff marks this fix unsafe


def test_findings_outside_the_changed_lines_are_dropped_and_counted(change: Change) -> None:
    """Problems already on unchanged lines are not reported; the count says how many."""
    base = "import os\nimport sys\n\n\ndef old():\n    return 1\n"
    head = base + "\n\ndef new():\n    return undefined_thing\n"
    root, diffs = change({"mod.py": base}, {"mod.py": head})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert [(f.line, f.message.split(":")[0]) for f in outcome.report.submission.findings] == [
        (10, "ruff F821")
    ]
    assert outcome.outside_diff == 2
    assert "2 on unchanged lines not reported" in outcome.report.submission.summary


def test_a_syntax_error_is_a_major_correctness_finding(change: Change) -> None:
    """A file that does not parse is reported as a major finding, not a tool failure."""
    root, diffs = change({}, {"broken.py": "def f(:\n    pass\n"})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.OK
    findings = outcome.report.submission.findings
    assert findings and findings[0].line == 1
    assert all(f.severity is Severity.MAJOR and "invalid-syntax" in f.message for f in findings)


def test_only_changed_python_files_are_analysed(change: Change) -> None:
    """Removed files and non-Python files are not given to ruff."""
    root, diffs = change(
        {"gone.py": "import os\n", "keep.py": "x = 1\n"},
        {"notes.txt": "import os\n", "keep.py": "x = 1\nimport os\n"},
    )
    (root / "gone.py").unlink()
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert outcome.files == 1
    assert {f.path for f in outcome.report.submission.findings} == {"keep.py"}


def test_nothing_to_analyse_is_a_skip(change: Change) -> None:
    """A change without Python files skips ruff with a reason."""
    root, diffs = change({}, {"docs/guide.md": "# Guide\n"})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert outcome.status is AnalyserStatus.SKIPPED
    assert outcome.report.submission.summary == "ruff was not run: no changed files to analyse."


def test_the_repository_configuration_cannot_silence_findings(change: Change) -> None:
    """A pyproject that ignores every rule does not change what ruff reports (isolated run)."""
    config = '[tool.ruff.lint]\nignore = ["ALL"]\nexclude = ["*.py"]\n'
    root, diffs = change({"pyproject.toml": config}, {"m.py": "import os\n"})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    assert [f.line for f in outcome.report.submission.findings] == [1]
    assert not (root / ".ruff_cache").exists()


def test_suggestions_count_columns_in_characters_not_bytes(change: Change) -> None:
    """A fix on a line with non-ASCII text before the edit keeps the text intact."""
    source = 'naïve = "ü"; label = f"ß"\n'
    root, diffs = change({}, {"u.py": source})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    found = _by_code(list(outcome.report.submission.findings))
    assert found["F541"].suggestion == 'naïve = "ü"; label = "ß"'


def test_an_unexpected_end_of_file_is_reported_on_the_last_line(change: Change) -> None:
    """ruff reports an unclosed bracket just past the end; it lands on the last line."""
    root, diffs = change({}, {"eof.py": "x = 1\ny = (\n"})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    (finding,) = outcome.report.submission.findings
    assert (finding.line, finding.severity) == (2, Severity.MAJOR)


def test_suggestions_on_crlf_files_carry_no_carriage_return(change: Change) -> None:
    """A file with Windows line endings gets a suggestion without a stray ``\\r``."""
    root, diffs = change({}, {"w.py": 'a = 1\r\nlabel = f"x"\r\nb = 2\r\n'})
    outcome = run_analyser(RuffAnalyser(), root, diffs)
    found = _by_code(list(outcome.report.submission.findings))
    assert (found["F541"].line, found["F541"].suggestion) == (2, 'label = "x"')
