"""``specbot model``: serves a script over HTTP and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunSpecbot
from tests.scripted.conftest import MakeClient

SCRIPT = """
turns:
  - when: {role: planner}
    reply:
      - text: "Planning."
      - tool_use: {name: submit_plan, input: {summary: s, steps: []}}
"""


def start_cli(script: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "model", "--script", str(script), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    if not ready:
        proc.kill()
        pytest.fail(f"specbot model printed nothing in 30 s: {proc.communicate()[1]}")
    line = proc.stdout.readline()
    assert line.startswith("scripted model listening on http://127.0.0.1:"), line
    return proc, line.rsplit(" ", 1)[1].strip()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_model_command_serves_the_script_and_stops_cleanly(
    tmp_path: Path, make_client: MakeClient, stop_signal
):
    """The SDK gets the scripted reply; the signal makes the command exit 0 without a traceback."""
    script = tmp_path / "script.yaml"
    script.write_text(SCRIPT)
    proc, base_url = start_cli(script)
    try:
        reply = make_client(base_url).messages.create(
            model="claude-sonnet-5-5",
            max_tokens=100,
            system="You are the planner.",
            messages=[{"role": "user", "content": "Plan it."}],
        )
        assert reply.content[1].name == "submit_plan"
    finally:
        proc.send_signal(stop_signal)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in stderr


def test_model_command_refuses_a_bad_script_in_one_line(tmp_path: Path, run_specbot: RunSpecbot):
    """An invalid script exits 2 with one line naming the file and the problem."""
    script = tmp_path / "bad.yaml"
    script.write_text("turns: [{reply: [{text: a, tool_use: {name: x}}]}]\n")
    result = run_specbot("model", "--script", str(script), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "bad.yaml" in result.stderr and "exactly one of" in result.stderr


def test_model_command_reports_a_busy_port_in_one_line(tmp_path: Path, run_specbot: RunSpecbot):
    """A port already in use exits 2 with one line saying so."""
    script = tmp_path / "ok.yaml"
    script.write_text(SCRIPT)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_specbot("model", "--script", str(script), "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"specbot model: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
