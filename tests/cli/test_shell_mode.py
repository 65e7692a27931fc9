"""The start-up line of `specbot serve` and `specbot worker`: which mode agents' shells run in,
chosen by the settings' names an operator types."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.agents.tools import SandboxPolicy, shell_mode
from bot.cli._shell_mode import shell_mode_line
from bot.settings import Settings


def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Settings:
    monkeypatch.setenv("SPECBOT_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.skipif(shell_mode(SandboxPolicy()).kind != "sandbox", reason="no bubblewrap here")
def test_the_line_says_the_sandbox_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """With bubblewrap working, the line says shells are sandboxed."""
    line = shell_mode_line(settings(monkeypatch, tmp_path))
    assert line.startswith("agents' shells run in a bubblewrap sandbox")


def test_without_bubblewrap_the_line_says_the_bash_tool_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """SPECBOT_BWRAP names a program that is not there: refused, and the way out is named."""
    line = shell_mode_line(settings(monkeypatch, tmp_path, SPECBOT_BWRAP="/nonexistent/bwrap"))
    assert line == (
        "the bash tool is refused: bubblewrap (/nonexistent/bwrap) is not installed; install "
        "bubblewrap where the kernel allows namespaces, or set "
        "SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX=1 to run shells that can read every file the "
        "service can"
    )


def test_the_unsafe_setting_is_said_in_capitals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX=1 where there is no sandbox: UNSAFE, and why."""
    line = shell_mode_line(
        settings(
            monkeypatch,
            tmp_path,
            SPECBOT_BWRAP="/nonexistent/bwrap",
            SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX="1",
        )
    )
    assert line.startswith("UNSAFE: agents' shells run WITHOUT a filesystem sandbox")
    assert "they can read every file the service can" in line
