"""Anthropic's bash tool (``bash_20250124``): one persistent shell per agent, in the checkout.

Each command is sent as ``eval '<quoted>' </dev/null`` followed by a marker carrying a random
nonce and the exit status, so state (``cd``, variables) persists between commands while a
syntax error or a command reading stdin cannot desynchronise the protocol. The shell is the
leader of its own process group: on timeout the whole group is killed, children included.
The shell runs in the sandbox of ``_bubblewrap`` (its own PID namespace: killing it kills every
process it started, ``setsid`` or not), or is refused when no sandbox can be built.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.agents.tools._bubblewrap import (
    SANDBOX_HOME,
    SandboxPolicy,
    readonly_paths,
    sandbox_argv,
    shell_mode,
)
from bot.agents.tools._paths import ToolError, Workspace
from bot.agents.tools._result import ToolResult
from bot.agents.tools._sandbox import detect_isolation, scrub_git_remotes, scrubbed_environment

BASH_NAME = "bash"
BASH_TYPE = "bash_20250124"
OnEvent = Callable[[str, dict[str, Any]], None]


def _no_time_limit() -> float | None:
    """A ``time_left`` for a shell that only its own timeout limits."""
    return None


def _ignore_event(event_type: str, payload: dict[str, Any]) -> None:
    """An ``on_event`` that records nothing."""


class CappedOutput:
    """Keeps the first and last ``limit // 2`` bytes of a stream and counts what it drops."""

    def __init__(self, limit: int) -> None:
        self.half = max(256, limit // 2)  # the end marker must fit whole in the tail
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        """Append a chunk, trimming the middle."""
        self.total += len(chunk)
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.half:
            del self.tail[: len(self.tail) - self.half]

    def text(self) -> str:
        """The kept output, with a note where bytes were dropped."""
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n<{dropped} bytes of output omitted>\n" if dropped else ""
        return self.head.decode(errors="replace") + middle + self.tail.decode(errors="replace")


class BashTool:
    """A persistent, confined bash shell in the workspace."""

    name = BASH_NAME

    def __init__(
        self,
        workspace: Workspace,
        *,
        timeout: float = 120.0,
        output_limit: int = 30_000,
        base_env: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        sandbox: SandboxPolicy | None = None,
        on_event: OnEvent = _ignore_event,
        time_left: Callable[[], float | None] = _no_time_limit,
    ) -> None:
        self.workspace = workspace
        self.timeout = timeout
        self._time_left = time_left  # what the run has left: no command may outlast it
        self.output_limit = output_limit
        self._base_env = dict(os.environ if base_env is None else base_env)
        self._extra_env = dict(extra_env or {})
        self._sandbox = sandbox or SandboxPolicy()
        # Read before any command runs: a command could point .git's alternates anywhere, and
        # the next shell (after a timeout or restart) must not mount what it names.
        given = {**self._base_env, **self._extra_env}  # VIRTUAL_ENV is not passed on as such
        self._readonly = readonly_paths(workspace.root, given)
        self._on_event = on_event
        self._proc: subprocess.Popen[bytes] | None = None
        self._home: tempfile.TemporaryDirectory[str] | None = None

    def definition(self) -> dict[str, Any]:
        """The tool as offered to the model."""
        return {"type": BASH_TYPE, "name": BASH_NAME}

    def run(self, tool_input: dict[str, Any]) -> ToolResult:
        """Run a command, or restart the shell; failures come back as error results."""
        command = tool_input.get("command")
        restart = bool(tool_input.get("restart"))
        if not restart and (not isinstance(command, str) or not command.strip()):
            return ToolResult("Error: command is required (or restart: true)", is_error=True)
        if not restart and "\x00" in str(command):
            return ToolResult("Error: command contains a NUL byte", is_error=True)
        left = self._time_left()
        if not restart and left is not None and left <= 0:
            spent = "Error: the run's time budget is spent; no command runs"
            return ToolResult(spent, is_error=True)
        try:
            if restart:
                self.close()
                self._start()  # a refused sandbox says so here too
                return ToolResult("shell restarted")
            return self._execute(str(command))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)

    def close(self) -> None:
        """Kill the shell and everything it started."""
        if self._proc is not None:
            _kill_group(self._proc)
            self._proc = None
        if self._home is not None:
            self._home.cleanup()
            self._home = None

    def _start(self) -> subprocess.Popen[bytes]:
        mode = shell_mode(self._sandbox)
        if mode.kind == "refused":
            self._on_event("sandbox.refused", {"description": mode.description})
            raise ToolError(mode.description)
        for change in scrub_git_remotes(self.workspace.root):
            self._on_event("sandbox.git_config", {"change": change})
        isolation = detect_isolation()
        sandboxed = mode.kind == "sandbox"
        self._on_event(
            "sandbox.started",
            {
                "mode": mode.kind,
                "network_isolated": sandboxed or isolation.network_isolated,
                "description": mode.description,
            },
        )
        if sandboxed:
            home = Path(SANDBOX_HOME)  # in the sandbox's private /tmp
        else:
            self._home = tempfile.TemporaryDirectory(prefix="specbot-home-")
            home = Path(self._home.name)
        env = scrubbed_environment(self._base_env, home=home, extra=self._extra_env)
        root = self.workspace.root
        prefix = (
            sandbox_argv(self._sandbox, root=root, readonly=self._readonly)
            if sandboxed
            else list(isolation.prefix)
        )
        self._proc = subprocess.Popen(
            [*prefix, "bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=env,
            start_new_session=True,  # its own session and process group, killed as a whole
        )
        return self._proc

    def _execute(self, command: str) -> ToolResult:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        proc = proc or self._start()
        assert proc.stdin is not None and proc.stdout is not None
        nonce = secrets.token_hex(8)
        marker = re.compile(rb"\n?__SPECBOT_DONE_" + nonce.encode() + rb"_(\d+)__\n")
        script = (
            f"eval {shlex.quote(command)} </dev/null\n"
            f"printf '\\n__SPECBOT_DONE_{nonce}_%d__\\n' \"$?\"\n"
        )
        try:
            proc.stdin.write(script.encode())
            proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            raise ToolError("the shell had exited; run the command again in a new one") from None
        return self._collect(proc, marker)

    def _collect(self, proc: subprocess.Popen[bytes], marker: re.Pattern[bytes]) -> ToolResult:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        output = CappedOutput(self.output_limit)
        recent = b""
        timeout, why = self._timeout()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                self.close()
                note = (
                    f"<command timed out after {timeout:g} s{why}: the shell and every process "
                    "it started were killed; the next command runs in a fresh shell>"
                )
                return ToolResult(self._clean(output.text()) + "\n" + note, is_error=True)
            chunk = os.read(fd, 65536)
            if not chunk:
                status = proc.wait()
                self.close()
                note = f"<the shell exited with status {status}; the next command starts a new one>"
                return ToolResult(self._clean(output.text()) + "\n" + note, is_error=True)
            output.add(chunk)
            recent = (recent + chunk)[-256:]
            found = marker.search(recent)
            if found:
                return self._finish(_without_marker(output, marker), int(found.group(1)))

    def _timeout(self) -> tuple[float, str]:
        """This command's timeout, clipped to what the run has left, and why when clipped."""
        left = self._time_left()
        if left is None or left >= self.timeout:
            return self.timeout, ""
        return max(0.0, round(left, 1)), " (all the time the run had left)"

    def _finish(self, text: str, status: int) -> ToolResult:
        text = self._clean(text)
        if status != 0:
            text = f"{text}\n<exit status {status}>" if text else f"<exit status {status}>"
        return ToolResult(text or "(no output)")

    def _clean(self, text: str) -> str:
        return text.rstrip("\n")


def _without_marker(output: CappedOutput, marker: re.Pattern[bytes]) -> str:
    """The command's output with the end marker removed."""
    if output.total == len(output.head) + len(output.tail):
        return marker.sub(b"", bytes(output.head + output.tail)).decode(errors="replace")
    # Output was trimmed: the marker ends the stream, so it lies whole in the tail.
    before = len(output.tail)
    output.tail = bytearray(marker.sub(b"", bytes(output.tail)))
    output.total -= before - len(output.tail)
    return output.text()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    proc.wait()
