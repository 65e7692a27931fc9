"""Fixtures for agent tests: scripted model servers, workspaces and the model stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.agents.tools import Workspace
from tests.scripted.conftest import StartModel, start_model

__all__ = ["StartModel", "start_model", "workspace"]

MODEL = "claude-sonnet-5-5"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A small checkout: a README, a package with one module, and a .git directory."""
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / "README.md").write_text("# Widgets\n\nMakes widgets.\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    return Workspace(root)
