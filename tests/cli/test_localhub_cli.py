"""``specbot localhub`` as a user runs it: prints its URL, serves, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT, RunSpecbot

SEED = "users: [{login: alice, token: ghp_alice}]\nrepos: [{full_name: alice/demo}]\n"


def _start(seed: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "localhub", "--port", "0", "--seed", str(seed), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_serves_until_sigterm_and_keeps_data(tmp_path: Path) -> None:
    """It prints its base URL, answers REST calls, exits 0 on SIGTERM and keeps --data state."""
    seed = tmp_path / "seed.yml"
    seed.write_text(SEED)
    data = tmp_path / "data"
    proc = _start(seed, "--data", str(data))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("localhub ready: http://127.0.0.1:")
        api = first.split(": ", 1)[1].strip()
        assert api.endswith("/api/v3")
        created = httpx.post(
            api + "/repos/alice/demo/issues",
            headers={"Authorization": "token ghp_alice"},
            json={"title": "Persist me"},
        )
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "localhub stopped" in out
    assert "Persist me" in (data / "state.json").read_text()


def test_bad_seed_is_one_line_and_exit_2(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A seed with a typo exits 2 with one line naming the field, never a traceback."""
    seed = tmp_path / "seed.yml"
    seed.write_text("users: [{login: a, tokn: x}]\n")
    result = run_specbot("localhub", "--port", "0", "--seed", str(seed))
    assert result.returncode == 2
    assert "users.0.tokn" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_seed_file_exits_2(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A seed path that does not exist is a usage error."""
    result = run_specbot("localhub", "--port", "0", "--seed", str(tmp_path / "nope.yml"))
    assert result.returncode == 2
    assert "nope.yml" in result.stderr


def test_faults_file_applies_from_the_start(tmp_path: Path) -> None:
    """Rules from --faults are active on the first request."""
    seed = tmp_path / "seed.yml"
    seed.write_text(SEED)
    faults = tmp_path / "faults.yml"
    faults.write_text('- {pattern: "GET /api/v3/repos/*", error_rate: 1.0, status: 502}\n')
    proc = _start(seed, "--faults", str(faults))
    try:
        assert proc.stdout is not None
        api = proc.stdout.readline().split(": ", 1)[1].strip()
        assert httpx.get(api + "/repos/alice/demo").status_code == 502
        assert httpx.get(api + "/rate_limit").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_bad_faults_file_exits_2(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A fault with a status localhub does not inject is a usage error."""
    seed = tmp_path / "seed.yml"
    seed.write_text(SEED)
    faults = tmp_path / "faults.yml"
    faults.write_text("- {error_rate: 1.0, status: 418}\n")
    result = run_specbot("localhub", "--port", "0", "--seed", str(seed), "--faults", str(faults))
    assert result.returncode == 2
    assert "418" in result.stderr
