"""The root ``specbot`` command: version, help, usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import __version__
from tests.conftest import RunSpecbot


def test_version_prints_the_package_version(run_specbot: RunSpecbot) -> None:
    """``specbot --version`` prints the version and exits 0."""
    result = run_specbot("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"specbot {__version__}"


def test_help_shows_examples(run_specbot: RunSpecbot) -> None:
    """``specbot --help`` names the command and shows examples."""
    result = run_specbot("--help")
    assert result.returncode == 0
    assert "specbot lint" in result.stdout
    assert "Usage: specbot" in result.stdout


def test_unknown_command_is_a_usage_error(run_specbot: RunSpecbot) -> None:
    """An unknown sub-command exits 2 with one message and no traceback."""
    result = run_specbot("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "frobnicate" in result.stderr


@pytest.mark.parametrize(
    "command",
    [(), ("review",), ("demo",), ("serve",), ("runs", "inbox"), ("runs", "list"), ("lint",)],
)
def test_flags_show_no_value_type_in_help(
    run_specbot: RunSpecbot, command: tuple[str, ...]
) -> None:
    """A flag takes no value: help never shows ``<bool>`` beside it (or beside --help)."""
    result = run_specbot(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


def test_runs_on_a_database_that_cannot_open_is_one_line(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """`specbot runs list` on a database file that cannot be created: one line naming it,
    exit 2, without the engine's own log line or SQLAlchemy's background link."""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    env = {"SPECBOT_DATABASE_URL": f"sqlite:///{blocked / 'runs.sqlite'}"}
    result = run_specbot("runs", "list", env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"specbot runs: cannot open the run database sqlite:///{blocked / 'runs.sqlite'}:"
        " unable to open database file"
    ]
