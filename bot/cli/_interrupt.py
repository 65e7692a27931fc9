"""Ctrl-C and SIGTERM for the commands that run to an end: one line, an exit code, no process left.

The handler does not unwind the command: threads still at work (the engine, agents, a web
server) would print tracebacks while their databases and folders go away under them, and
their child processes (an agent's shell, a test run) live in sessions of their own, out of
reach of the terminal's Ctrl-C. So on the first signal the handler silences standard error,
writes the one line, kills every child process with its process group, runs the cleanups the
command registered (a temporary folder) and leaves with 128 + the signal's number, as shells
report it: 130 for SIGINT, 143 for SIGTERM. Servers (``serve``, ``worker``, ``model``,
``localhub``) install their own handlers: a signal is how they are stopped, and they exit 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _Plan:
    """What to say and clean up when the running command is interrupted."""

    command: str = "specbot"
    what: str = "stopped"
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    started: bool = False


_plan = _Plan()


def exit_code(signum: int) -> int:
    """The status a shell reports for a process ended by ``signum`` (130, 143)."""
    return 128 + signum


def on_interrupt(command: str, what: str, *, remove: Path | None = None) -> None:
    """Say ``specbot COMMAND: interrupted: WHAT`` on a signal, removing ``remove`` first."""
    _plan.command = f"specbot {command}"
    _plan.what = what
    if remove is not None:
        _plan.cleanups.append(lambda: shutil.rmtree(remove, ignore_errors=True))


def install() -> None:
    """Handle SIGINT and SIGTERM in this (main) thread until a command installs its own."""
    for signum in SIGNALS:
        signal.signal(signum, _handle)


def _handle(signum: int, _frame: FrameType | None) -> None:
    if _plan.started:  # a second Ctrl-C while cleaning up: leave at once
        os._exit(exit_code(signum))
    _plan.started = True
    terminal = _silence()
    line = f"{_plan.command}: interrupted: {_plan.what}\n"
    os.write(terminal, line.encode("utf-8", "replace"))
    kill_children()
    for cleanup in _plan.cleanups:
        with contextlib.suppress(Exception):  # leaving anyway; nothing may be printed now
            cleanup()
    kill_children()  # a thread may have started one while the folder was removed
    os._exit(exit_code(signum))


def _silence() -> int:
    """Point standard error at /dev/null (threads' tracebacks, log lines); return a copy of
    the old one for the one line."""
    with contextlib.suppress(Exception):  # what was printed so far stays (a closed pipe too)
        sys.stdout.flush()
    terminal = os.dup(2)
    logging.disable(logging.CRITICAL)
    threading.excepthook = lambda _args: None
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    return terminal


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc (Linux) or ``ps`` (elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            listed = subprocess.run(
                ["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, timeout=5
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return {}
        pairs = (line.split() for line in listed.splitlines())
        return {int(pair[0]): int(pair[1]) for pair in pairs if len(pair) == 2}
    parents = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root: int | None = None) -> list[int]:
    """The processes started by ``root`` (default: this process) and by those, and so on."""
    parents = _parents()
    found: list[int] = []
    layer = [os.getpid() if root is None else root]
    while layer:
        layer = [pid for pid, parent in parents.items() if parent in layer and pid not in found]
        found.extend(layer)
    return found


def kill_children() -> None:
    """SIGKILL every descendant process, with its whole process group when it leads one."""
    own_group = os.getpgrp()
    for pid in descendants():
        try:
            group = os.getpgid(pid)
            if group == pid and group != own_group:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except OSError:  # it ended meanwhile
            continue
