"""One shell command in the checkout: capped output, a deadline, and its process group killed.

The command is the leader of a new session, so on timeout, and after it exits, every process it
started (a test server left running, a hung child) is killed with it: nothing outlives the step.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.agents.tools import CappedOutput

# Output after the command exits is read for this long, then leftover processes are killed.
_DRAIN_SECONDS = 1.0


class StepResult(BaseModel):
    """How one command ended: exit code (negative: killed by that signal), time and output."""

    model_config = ConfigDict(frozen=True)

    command: str
    exit_code: int
    seconds: float
    timed_out: bool
    output: str

    @property
    def ok(self) -> bool:
        """Whether the command finished in time with exit code 0."""
        return self.exit_code == 0 and not self.timed_out


def run_step(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    output_limit: int,
    prefix: Sequence[str] = (),
) -> StepResult:
    """Run ``command`` with bash in ``cwd``; never raises for the command's own failures."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [*prefix, "bash", "--noprofile", "--norc", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env),
            start_new_session=True,  # its own process group, killed as a whole
        )
    except OSError as exc:
        return StepResult(
            command=command, exit_code=127, seconds=0.0, timed_out=False, output=str(exc)
        )
    output = CappedOutput(output_limit)
    timed_out = _pump(proc, output, started + timeout)
    _kill_group(proc)
    exit_code = proc.wait()
    if timed_out:
        note = f"\n<timed out after {timeout:g} s: the command and its children were killed>"
        output.add(note.encode())
    return StepResult(
        command=command,
        exit_code=exit_code,
        seconds=round(time.monotonic() - started, 3),
        timed_out=timed_out,
        output=output.text(),
    )


def _pump(proc: subprocess.Popen[bytes], output: CappedOutput, deadline: float) -> bool:
    """Copy the command's output until it ends; True when the deadline passed first."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    exited_at: float | None = None
    while True:
        now = time.monotonic()
        if now >= deadline:
            return True
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > _DRAIN_SECONDS:
            return False  # a child still holds the pipe open; it is killed with the group
        ready, _, _ = select.select([fd], [], [], min(0.2, deadline - now))
        if ready:
            chunk = os.read(fd, 65_536)
            if not chunk:
                return False
            output.add(chunk)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.stdout is not None:
        with contextlib.suppress(OSError):
            proc.stdout.close()
