"""A session-wide virtual environment for the tiny project, created by specbot's own command."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from bot.workspace import RunEnvironment, WorkspaceConfig, detect_commands, run_setup
from tests.workspace.project import write_project

# Offline: the tiny project has an in-tree build backend and no dependencies to download.
PIP_OFFLINE = ("--no-index", "--no-build-isolation")


@pytest.fixture(scope="session")
def venv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment made by the detected setup's first command, with pytest on its path.

    pytest cannot be installed offline, so the environment sees the site-packages of the
    pytest running this suite through a .pth file; the project itself is installed by the tests.
    """
    root = tmp_path_factory.mktemp("cache")
    venv = root / "venv"
    checkout = write_project(tmp_path_factory.mktemp("seed"))
    plan = detect_commands(
        checkout, WorkspaceConfig(), venv_dir=venv, report_path=root / "junit.xml"
    )
    created = run_setup(
        checkout, plan.model_copy(update={"setup": plan.setup[:1]}), RunEnvironment()
    )
    assert created.ok, created.steps[0].output
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    pytest_site = Path(pytest.__file__).resolve().parent.parent
    (site / "suite-pytest.pth").write_text(f"{pytest_site}\n", encoding="utf-8")
    assert (venv / "bin" / "python").exists(), sys.executable
    return venv
