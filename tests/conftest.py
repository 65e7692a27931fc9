"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# localhub fixtures (hub, receiver, app_key_pem) for every test package that talks to GitHub.
pytest_plugins = ["tests.hub_fixtures"]

RunSpecbot = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_specbot() -> RunSpecbot:
    """Run the real ``specbot`` CLI in a subprocess, as a user would."""

    def run(
        *args: str,
        input: str | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "120"}
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env=full_env,
            timeout=timeout,
            check=False,
        )

    return run
