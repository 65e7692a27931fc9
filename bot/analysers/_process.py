"""Run one analyser command: confined, time-limited, with its output capped.

Analysers read code written by an agent or a contributor, so they run like the agent's own
commands: a scrubbed environment with a private ``HOME``, no network where the machine allows
it, their own process group (killed as a whole at the timeout), and stdout capped so a runaway
tool cannot exhaust memory. Nothing here raises for a tool that misbehaves: the caller gets a
``ToolRun`` saying what happened.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.agents.tools import detect_isolation, scrubbed_environment

_STDERR_KEPT = 4_000  # enough for a traceback's last lines in an error message


@dataclass(frozen=True)
class ToolRun:
    """How one command ended: its output, or why there is none worth reading."""

    returncode: int | None
    stdout: bytes
    stderr: str
    timed_out: bool = False
    overflowed: bool = False
    start_error: str | None = None

    def failure(self, timeout: float, limit: int) -> str | None:
        """A one-line reason when the run produced no usable output, else None."""
        if self.start_error is not None:
            return self.start_error
        if self.timed_out:
            return f"timed out after {timeout:g} s and was killed"
        if self.overflowed:
            return f"wrote more than {limit} bytes of output and was stopped"
        return None


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    output_limit: int,
    base_env: Mapping[str, str] | None = None,
    isolate: bool = True,
) -> ToolRun:
    """Run ``argv`` in ``cwd`` and collect its output within ``timeout`` and ``output_limit``."""
    isolation = detect_isolation() if isolate else None
    prefix = list(isolation.prefix) if isolation is not None else []
    with tempfile.TemporaryDirectory(prefix="specbot-analyser-home-") as home:
        env = scrubbed_environment(
            dict(os.environ if base_env is None else base_env), home=Path(home)
        )
        try:
            proc = subprocess.Popen(
                [*prefix, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                start_new_session=True,  # its own process group, killed as a whole
            )
        except OSError as exc:
            return ToolRun(None, b"", "", start_error=f"could not start: {exc.strerror or exc}")
        return _collect(proc, timeout, output_limit)


def _collect(proc: subprocess.Popen[bytes], timeout: float, limit: int) -> ToolRun:
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    streams = {out_fd: bytearray(), err_fd: bytearray()}
    open_fds = set(streams)
    deadline = time.monotonic() + timeout
    timed_out = overflowed = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            buffer = streams[fd]
            buffer += chunk
            if fd == err_fd:
                del buffer[: max(0, len(buffer) - _STDERR_KEPT)]
        if len(streams[out_fd]) > limit:
            overflowed = True
            break
    if timed_out or overflowed:
        _kill_group(proc)
    returncode = _wait(proc, max(0.0, deadline - time.monotonic()))
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    return ToolRun(
        returncode=returncode,
        stdout=bytes(streams[out_fd]),
        stderr=streams[err_fd].decode(errors="replace"),
        timed_out=timed_out or returncode is None,
        overflowed=overflowed,
    )


def _wait(proc: subprocess.Popen[bytes], left: float) -> int | None:
    """The exit status; a tool that closed its pipes but lingers is killed at the deadline."""
    try:
        return proc.wait(timeout=left)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
