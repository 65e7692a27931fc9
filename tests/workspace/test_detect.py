"""Which commands a checkout gets: detection by project kind, and pytest's --junitxml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.workspace import CommandPlan, WorkspaceConfig, detect_commands, with_junit_option


def plan(root: Path, config: WorkspaceConfig | None = None) -> CommandPlan:
    """The plan for ``root`` with the cache and report under its parent."""
    return detect_commands(
        root,
        config or WorkspaceConfig(),
        venv_dir=root.parent / "cache venv",
        report_path=root.parent / "out" / "junit.xml",
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty checkout folder."""
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def test_python_without_a_test_extra_installs_the_project_and_requirements(root: Path) -> None:
    """setup.py plus requirements files: -e . then each requirements file, in name order."""
    (root / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (root / "requirements.txt").write_text("")
    (root / "requirements-dev.txt").write_text("")
    result = plan(root)
    assert result.kind == "python"
    joined = "\n".join(result.setup)
    assert result.venv_dir == root.parent / "cache venv"
    assert result.setup[0].endswith('-m venv "$VIRTUAL_ENV"')
    assert " -e .\n" in joined + "\n" and "-e '.[" not in joined
    assert joined.index("-r requirements-dev.txt") < joined.index("-r requirements.txt")
    assert (
        result.test == 'python -m pytest -q -p no:cacheprovider --junitxml="$SPECBOT_TEST_REPORT"'
    )
    assert result.report_path == root.parent / "out" / "junit.xml"


def test_requirements_alone_make_a_python_project_without_installing_it(root: Path) -> None:
    """Only requirements.txt: the venv gets the requirements, not an editable install."""
    (root / "requirements.txt").write_text("")
    result = plan(root)
    assert result.kind == "python"
    assert not any(" -e " in command for command in result.setup)
    assert "its requirements installed" in result.reason


def test_a_broken_pyproject_still_installs_without_an_extra(root: Path) -> None:
    """An unreadable pyproject.toml is no crash: the project is installed without extras."""
    (root / "pyproject.toml").write_text("[project\n")
    assert any(command.endswith(" -e .") for command in plan(root).setup)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
@pytest.mark.parametrize(("lock", "install"), [(True, "npm ci"), (False, "npm install")])
def test_node_with_a_test_script_uses_npm(root: Path, lock: bool, install: str) -> None:
    """package.json with a test script: npm ci (or install without a lock) and npm test."""
    (root / "package.json").write_text(json.dumps({"scripts": {"test": "node test.js"}}))
    if lock:
        (root / "package-lock.json").write_text("{}")
    result = plan(root)
    assert (result.kind, result.setup, result.test) == ("node", (install,), "npm test")


def test_npm_init_placeholder_is_not_a_test_script(root: Path) -> None:
    """The placeholder script npm init writes does not count as tests."""
    script = 'echo "Error: no test specified" && exit 1'
    (root / "package.json").write_text(json.dumps({"scripts": {"test": script}}))
    result = plan(root)
    assert result.test is None and "no test command found" in result.reason


def test_timeouts_come_from_the_config(root: Path) -> None:
    """The configured deadlines travel with the plan, detected or configured."""
    config = WorkspaceConfig(setup_timeout_seconds=12, test_timeout_seconds=34)
    result = plan(root, config)
    assert (result.setup_timeout_seconds, result.test_timeout_seconds) == (12, 34)


@pytest.mark.parametrize(
    ("command", "gets_option"),
    [
        ("pytest -q", True),
        ("python -m pytest tests/unit", True),
        ("pytest --junitxml=mine.xml", False),
        ("make test", False),
        ("pytest -q && echo done", False),
        ("tox -e py311", False),
        ("pytest 'unbalanced", False),
    ],
)
def test_pytest_commands_get_a_junit_report(command: str, gets_option: bool) -> None:
    """Only a plain pytest call without its own report option gets --junitxml."""
    result = with_junit_option(command)
    if gets_option:
        assert result == f'{command} --junitxml="$SPECBOT_TEST_REPORT"'
    else:
        assert result == command


def test_a_tool_only_pyproject_does_not_hide_a_node_project(root: Path) -> None:
    """pyproject.toml holding only [tool.*] settings leaves a Node project to npm."""
    (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    (root / "package.json").write_text(json.dumps({"scripts": {"test": "node test.js"}}))
    result = plan(root)
    if shutil.which("npm") is None:
        assert result.kind == "python" and not any(" -e " in c for c in result.setup)
    else:
        assert result.kind == "node"
    (root / "package.json").unlink()
    alone = plan(root)
    assert alone.kind == "python" and "with pytest" in alone.reason
