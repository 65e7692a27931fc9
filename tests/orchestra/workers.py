"""Real ``specbot worker`` subprocesses for the crash and scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """One ``specbot worker`` serving ``tests.orchestra.flows:catalog``."""

    def __init__(
        self,
        url: str,
        executor_id: str,
        *,
        env: dict[str, str] | None = None,
        flags: dict[str, str] | None = None,
    ) -> None:
        self.executor_id = executor_id
        full_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SPECBOT_DATABASE_URL": url,
            "SPECBOT_EXECUTOR_ID": executor_id,
            "SPECBOT_APP_VERSION": "test",
            **(env or {}),
        }
        args = [sys.executable, "-m", "bot", "worker", "--catalog", "tests.orchestra.flows:catalog"]
        for flag, value in (flags or {}).items():
            args += [f"--{flag.replace('_', '-')}", value]
        self.process = subprocess.Popen(
            args, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        self.output: list[str] = []
        self.errors: list[str] = []
        self._ready = threading.Event()
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_errors, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if " ready " in line:
                self._ready.set()

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line)

    def wait_ready(self, timeout: float = 30) -> WorkerProcess:
        if not self._ready.wait(timeout):
            self.kill()
            raise TimeoutError(
                f"worker {self.executor_id} not ready: {''.join(self.errors)[-2000:]}"
            )
        return self

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-step, with no chance to clean up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close()

    def stop(self) -> int:
        """SIGTERM and wait: the clean shutdown path."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._close()
        return code

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
