"""Workers serving the flows refuse to start without the settings the flows need."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunSpecbot

EMPTY = {
    "GITHUB_APP_ID": "",
    "GITHUB_PRIVATE_KEY": "",
    "GITHUB_PRIVATE_KEY_PATH": "",
    "ANTHROPIC_API_KEY": "",
}


def test_worker_without_an_app_id_names_it(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """No GITHUB_APP_ID: one line naming it, exit 2, nothing started."""
    result = run_specbot("worker", env={**EMPTY, "SPECBOT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "specbot worker: GITHUB_APP_ID is not set: the App's id, from its settings page"
    ]


def test_worker_without_a_model_key_names_it(
    run_specbot: RunSpecbot, tmp_path: Path, app_key_pem: Path
) -> None:
    """The App is configured but no ANTHROPIC_API_KEY: one line naming it, exit 2."""
    env = {
        **EMPTY,
        "GITHUB_APP_ID": "1",
        "GITHUB_PRIVATE_KEY_PATH": str(app_key_pem),
        "SPECBOT_DATA_DIR": str(tmp_path),
    }
    result = run_specbot("worker", env=env)
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY is not set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
