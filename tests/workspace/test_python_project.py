"""The tiny Python project, detected, installed into a cached venv and tested for real."""

from __future__ import annotations

from pathlib import Path

from bot.evidence import link_criteria
from bot.workspace import RunEnvironment, WorkspaceConfig, detect_commands, run_setup, run_tests
from tests.workspace.conftest import PIP_OFFLINE
from tests.workspace.project import git, write_project


def test_a_python_project_is_installed_and_its_tests_measured(
    tmp_path: Path, venv_dir: Path
) -> None:
    """Setup installs the project with its test extra; the report counts and links criteria."""
    checkout = write_project(tmp_path / "repo")
    report = tmp_path / "reports" / "junit.xml"
    plan = detect_commands(
        checkout, WorkspaceConfig(), venv_dir=venv_dir, report_path=report, pip_options=PIP_OFFLINE
    )
    assert plan.kind == "python"
    assert any("-e '.[test]'" in command for command in plan.setup)
    environment = RunEnvironment()

    setup = run_setup(checkout, plan, environment)
    assert setup.ok, [step.output for step in setup.steps]
    result = run_tests(checkout, plan, environment)

    assert result.status == "failed"
    assert result.report is not None and result.report.run is not None
    run = result.report.run
    assert (run.count("passed"), run.count("failed")) == (2, 1)
    assert result.report.exit_code == 1
    assert (
        result.report.command
        == 'python -m pytest -q -p no:cacheprovider --junitxml="$SPECBOT_TEST_REPORT"'
    )
    assert report.is_file()
    assert "assert 1.5 == 1" in result.output or "1.5" in result.output
    statuses = [item.status for item in link_criteria(["adds", "halves", "rounds"], run)]
    assert statuses == ["met", "failed", "unverified"]
    # The report, bytecode and pytest's cache all stay out of the checkout (and the commit).
    assert git(checkout, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_configured_test_runs_in_the_detected_venv(tmp_path: Path, venv_dir: Path) -> None:
    """workspace.test alone: detected setup, the venv on PATH, --junitxml added; all pass."""
    checkout = write_project(tmp_path / "repo")
    tests = checkout / "tests" / "test_calc.py"
    tests.write_text(tests.read_text().replace("== 1  #", "== 1.5  #"))
    plan = detect_commands(
        checkout,
        WorkspaceConfig(test="python -m pytest -q -p no:cacheprovider tests"),
        venv_dir=venv_dir,
        report_path=tmp_path / "junit.xml",
        pip_options=PIP_OFFLINE,
    )
    assert plan.kind == "configured" and plan.venv_dir == venv_dir
    environment = RunEnvironment()
    assert run_setup(checkout, plan, environment).ok
    result = run_tests(checkout, plan, environment)
    assert result.status == "passed", result.output
    assert result.report is not None and result.report.run is not None
    assert result.report.run.count("passed") == 3
    assert result.report.exit_code == 0
    assert result.report.command.endswith('tests --junitxml="$SPECBOT_TEST_REPORT"')
