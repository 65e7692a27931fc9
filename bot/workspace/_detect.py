"""Which commands prepare and test a checkout: the configured ones, else the project's usual.

Python (``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``requirements*.txt``): a virtual
environment in a cache directory outside the checkout (reused across runs), the project
installed editable with its ``test`` extra when it has one, the requirements files, and pytest
writing a JUnit report outside the checkout. Node (``package.json`` with a real ``test``
script, and npm on PATH): ``npm ci`` (``npm install`` without a lock file) and ``npm test``.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.workspace._config import WorkspaceConfig

REPORT_ENV = "SPECBOT_TEST_REPORT"  # where the test command's JUnit report is expected
ProjectKind = Literal["configured", "python", "node", "unknown"]
TEST_EXTRAS = ("test", "tests", "testing")
_NPM_PLACEHOLDER = 'echo "Error: no test specified"'
_PYTEST_HEADS = (("pytest",), ("py.test",), ("python", "-m", "pytest"), ("python3", "-m", "pytest"))


class CommandPlan(BaseModel):
    """The commands for one checkout and where the test command's JUnit report appears."""

    model_config = ConfigDict(frozen=True)

    kind: ProjectKind
    setup: tuple[str, ...]
    test: str | None
    report_path: Path  # outside the checkout: pytest's --junitxml and $SPECBOT_TEST_REPORT
    report_in_checkout: str | None  # a configured report path, relative to the checkout
    venv_dir: Path | None = None  # a virtual environment first on PATH, as VIRTUAL_ENV
    reason: str  # one sentence for the run log and the PR body
    setup_timeout_seconds: float = 900.0  # for each setup command
    test_timeout_seconds: float = 900.0


def detect_commands(
    checkout: Path,
    config: WorkspaceConfig,
    *,
    venv_dir: Path,
    report_path: Path,
    pip_options: Sequence[str] = (),
    python: str = sys.executable,
) -> CommandPlan:
    """The configured commands, else those detected for the project in ``checkout``.

    ``python`` creates the virtual environment; ``pip_options`` are added to every pip call
    (e.g. ``--index-url`` of a mirror, or ``--no-index`` for an offline machine).
    """
    python_env = _PythonEnv(venv_dir=venv_dir, python=python, pip_options=tuple(pip_options))
    plan = _detect(checkout, python_env, report_path)
    if config.setup or config.test is not None:
        test = plan.test if config.test is None else with_junit_option(config.test)
        plan = CommandPlan(
            kind="configured",
            setup=tuple(config.setup) or plan.setup,
            test=test,
            report_path=report_path,
            report_in_checkout=config.test_report,
            # The detected setup's virtual environment stays on PATH for a configured test.
            venv_dir=None if config.setup else plan.venv_dir,
            reason="commands from the workspace section of .github/specbot.yml",
        )
    return plan.model_copy(
        update={
            "setup_timeout_seconds": config.setup_timeout_seconds,
            "test_timeout_seconds": config.test_timeout_seconds,
        }
    )


def with_junit_option(command: str) -> str:
    """``command`` with ``--junitxml`` added when it is a plain pytest call without one."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    is_pytest = any(tuple(words[: len(head)]) == head for head in _PYTEST_HEADS)
    if not is_pytest or any(word.startswith("--junit") for word in words):
        return command
    if any(mark in command for mark in ("&&", "||", ";", "|", "\n", "`", "$(")):
        return command  # a compound command: the option could land on the wrong program
    return f'{command} --junitxml="${REPORT_ENV}"'


class _PythonEnv(BaseModel):
    """Where the virtual environment lives, what creates it, and extra pip options."""

    model_config = ConfigDict(frozen=True)

    venv_dir: Path
    python: str
    pip_options: tuple[str, ...]


def _detect(checkout: Path, python_env: _PythonEnv, report_path: Path) -> CommandPlan:
    pyproject = _read_pyproject(checkout / "pyproject.toml")
    # pyproject.toml with only [tool.*] tables is often a linter's config in a non-Python repo.
    packaged = pyproject is not None and ("project" in pyproject or "build-system" in pyproject)
    installable = packaged or (checkout / "setup.py").is_file()
    requirements = sorted(p.name for p in checkout.glob("requirements*.txt") if p.is_file())
    if installable or requirements or (checkout / "setup.cfg").is_file():
        extra = _test_extra(pyproject) if installable else None
        return _python_plan(python_env, report_path, requirements, installable, extra)
    node = _node_plan(checkout, report_path)
    if node is not None and node.test is not None:
        return node
    if pyproject is not None:
        return _python_plan(python_env, report_path, requirements, False, None)
    if node is not None:
        return node
    return CommandPlan(
        kind="unknown",
        setup=(),
        test=None,
        report_path=report_path,
        report_in_checkout=None,
        reason=(
            "no test command found: configure workspace.test in .github/specbot.yml"
            " (no pyproject.toml, setup.py, requirements*.txt or package.json test script)"
        ),
    )


def _python_plan(
    python_env: _PythonEnv,
    report_path: Path,
    requirements: list[str],
    installable: bool,
    extra: str | None,
) -> CommandPlan:
    # The runner puts the venv first on PATH and in $VIRTUAL_ENV, so "python" is the venv's
    # and the commands shown in logs and the pull request carry no server paths.
    options = shlex.join(python_env.pip_options)
    pip = f"python -m pip install --disable-pip-version-check {options}".strip()
    create = f'{shlex.quote(python_env.python)} -m venv "$VIRTUAL_ENV"'
    setup = [f'test -x "$VIRTUAL_ENV/bin/python" || {create}']
    if installable:
        target = f".[{extra}]" if extra else "."
        setup.append(f"{pip} -e {shlex.quote(target)}")
    setup.extend(f"{pip} -r {shlex.quote(name)}" for name in requirements)
    # Projects that test with pytest without declaring it still get it.
    setup.append(f"python -c 'import pytest' 2>/dev/null || {pip} pytest")
    # No cache folder in the checkout: it would end up in the commit.
    test = f'python -m pytest -q -p no:cacheprovider --junitxml="${REPORT_ENV}"'
    what = "the project installed" if installable else "its requirements installed"
    if not installable and not requirements:
        what = "pytest"
    return CommandPlan(
        kind="python",
        setup=tuple(setup),
        test=test,
        report_path=report_path,
        report_in_checkout=None,
        venv_dir=python_env.venv_dir,
        reason=f"a Python project: a virtual environment with {what}, tests run with pytest",
    )


def _read_pyproject(path: Path) -> dict[str, object] | None:
    """The parsed pyproject.toml; an empty table when it exists but cannot be read."""
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {"build-system": {}}  # unreadable: assume a package, pip will say what is wrong


def _test_extra(pyproject: dict[str, object] | None) -> str | None:
    """The name of the project's test extra, if its pyproject.toml declares one."""
    project = (pyproject or {}).get("project")
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    if not isinstance(extras, dict):
        return None
    return next((name for name in TEST_EXTRAS if name in extras), None)


def _node_plan(checkout: Path, report_path: Path) -> CommandPlan | None:
    try:
        package = json.loads((checkout / "package.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    scripts = package.get("scripts") if isinstance(package, dict) else None
    script = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(script, str) or not script.strip() or script.startswith(_NPM_PLACEHOLDER):
        return None
    if shutil.which("npm") is None:
        return CommandPlan(
            kind="node",
            setup=(),
            test=None,
            report_path=report_path,
            report_in_checkout=None,
            reason="no test command found: a Node project, but npm is not installed",
        )
    has_lock = (checkout / "package-lock.json").is_file()
    return CommandPlan(
        kind="node",
        setup=("npm ci" if has_lock else "npm install",),
        test="npm test",
        report_path=report_path,
        report_in_checkout=None,
        reason="a Node project: dependencies installed with npm, tests run with npm test",
    )
