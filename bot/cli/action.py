"""``specbot action``: run inside a GitHub Actions step (``action.yml`` calls it).

The runner stops a cancelled or timed-out job with SIGINT, then SIGTERM, then SIGKILL about
ten seconds after the first: either signal makes the agents stop at once and the runs push
their work and say how to continue, within that time.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

import typer


def action_command() -> None:
    """Run specbot's flows for this workflow's event (inside a GitHub Actions step)."""
    from bot.action import StepIO, run_action
    from bot.cli._interrupt import kill_children
    from bot.web import configure_logging

    configure_logging(os.environ.get("SPECBOT_LOG_LEVEL", "INFO"))
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    code = run_action(stop, StepIO(sys.stdout, sys.stderr), on_stop=kill_children)
    sys.stdout.flush()
    sys.stderr.flush()
    if stop.is_set():
        # threads still inside steps (their runs are recorded) would keep the process alive
        os._exit(code)
    raise typer.Exit(code)
