"""The real ``specbot`` CLI on a pseudo-terminal, as a person at a terminal runs it."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.conftest import ROOT

COLUMNS = 100
# What rich itself writes: colours and styles, cursor moves, line erasing, cursor show/hide.
_RICH_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def visible(raw: str) -> str:
    """The terminal output without the display's own control sequences (CSI), lines joined
    by newlines (a live display's redraws stay in it, one after another)."""
    return _RICH_CONTROL.sub("", raw).replace("\r\n", "\n").replace("\r", "\n")


class Terminal:
    """``python -m bot ARGS`` with stdin, stdout and stderr on a pseudo-terminal
    ``COLUMNS`` wide; what it writes is read as it comes, so it never blocks."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path = ROOT) -> None:
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        full_env["COLUMNS"] = str(COLUMNS)
        full_env.pop("NO_COLOR", None)  # colours on, unless the test sets it
        full_env.update(env)
        self._fd, secondary = os.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 60, COLUMNS, 0, 0))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                stdin=secondary,
                stdout=secondary,
                stderr=secondary,
                cwd=cwd,
                env=full_env,
            )
        finally:
            os.close(secondary)
        self._raw = b""
        self._ended = False

    @property
    def raw(self) -> str:
        """Everything written so far, as the terminal received it."""
        return self._raw.decode("utf-8", errors="replace")

    def _read(self, wait: float) -> None:
        if self._ended:
            return
        ready, _, _ = select.select([self._fd], [], [], wait)
        if not ready:
            return
        try:
            chunk = os.read(self._fd, 65536)
        except OSError:  # EIO: every writer closed its end
            chunk = b""
        self._raw += chunk
        self._ended = not chunk

    def read_until(self, marker: str, timeout: float) -> str:
        """Read until ``marker`` is on the screen; the visible text so far."""
        deadline = time.monotonic() + timeout
        while marker not in visible(self.raw):
            if self._ended or time.monotonic() > deadline:
                raise AssertionError(f"{marker!r} never shown:\n{visible(self.raw)[-4000:]}")
            self._read(0.2)
        return visible(self.raw)

    def interrupt(self) -> None:
        """Ctrl-C, as the terminal sends it."""
        self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float) -> int:
        """Read to the end; the exit status."""
        deadline = time.monotonic() + timeout
        while not self._ended and time.monotonic() < deadline:
            self._read(0.2)
        return self.process.wait(timeout=max(deadline - time.monotonic(), 1))

    def close(self) -> None:
        """Kill the command if it still runs; close the terminal."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self._fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
