"""Ctrl-C and SIGTERM end a command with one line, 130 or 143, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.cli._interrupt import descendants
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    # A zombie waits only for its parent to read its status: it runs nothing.
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def _working_in(folder: Path) -> list[int]:
    """Processes whose working directory is inside ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd.startswith(str(folder)):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    ("signum", "after", "code"),
    [
        (signal.SIGINT, "alice opened issue", 130),
        (signal.SIGTERM, "spec gate: success", 143),
    ],
)
def test_demo_stops_with_one_line_and_no_process_left(
    tmp_path: Path, signum: int, after: str, code: int
) -> None:
    """The demo, interrupted while it works: exit 130 (SIGINT) or 143 (SIGTERM), one line on
    stderr saying what stopped, its temporary data gone, and none of the processes it started
    (git, the agents' shells, test runs) still running."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    seen: set[int] = set()
    watching = threading.Event()
    watching.set()

    def watch() -> None:
        while watching.is_set() and process.poll() is None:
            seen.update(descendants(process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if after in line:
                break
        else:
            raise AssertionError(f"the demo ended before {after!r}")
        # Signal while a child process runs (git, an agent's shell, a test run).
        deadline = time.monotonic() + 120
        while not (running := descendants(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.update(running)
        process.send_signal(signum)
        _out, err = process.communicate(timeout=60)
    finally:
        watching.clear()
        if process.poll() is None:
            process.kill()
            process.communicate()
    watcher.join(timeout=10)
    assert process.returncode == code, err
    assert err.count("\n") == 1 and err.startswith("specbot demo: interrupted: "), err
    assert "temporary data is removed" in err
    assert seen, "the demo had started no process to check"
    assert [pid for pid in seen if _alive(pid)] == []
    assert _working_in(temp) == []
    assert list(temp.iterdir()) == []
