"""Transient GitHub failures inside a run: wait and try again a few times before giving up.

A POST that failed with a 5xx may still have happened on GitHub's side, so the adapter never
repeats one blindly. A flow repeats the whole step instead, and every step looks for its effect
before writing (the tracking comment by its marker, the commit by its ``Specbot-Run`` trailer,
the pull request by its head branch, the review by its marker, the check run by its external
id), so a repeat never duplicates anything. Only the first try of a stage's first start can
know there is nothing to find (``first_try``), and skips the look-up.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import structlog

from bot.adapters.github import is_transient_error
from bot.orchestra import StageContext

T = TypeVar("T")

# Seconds between tries: a blip passes in the first, a short outage in the last.
RETRY_DELAYS: tuple[float, ...] = (1.0, 5.0, 20.0)

log = structlog.get_logger("specbot.flows")


def first_try(stage: StageContext) -> Callable[[], bool]:
    """A check that is True once, at its first call, when the stage starts for the first time:
    no earlier try can have left the effect its look-up would find."""
    calls = itertools.count()
    return lambda: stage.first_attempt and next(calls) == 0


def retry_transient(call: Callable[[], T], what: str, delays: Sequence[float] = RETRY_DELAYS) -> T:
    """``call()``, tried again after each delay while it fails transiently; else it raises."""
    for delay in delays:
        try:
            return call()
        except Exception as exc:
            if not is_transient_error(exc):
                raise
            wait_before_retry(what, exc, delay)
    return call()


def wait_before_retry(what: str, exc: BaseException, delay: float) -> None:
    """Log the transient failure of ``what`` and sleep ``delay`` seconds."""
    log.warning(
        "transient GitHub failure; trying again",
        what=what,
        error=f"{type(exc).__name__}: {str(exc)[:200]}",
        delay_seconds=delay,
    )
    time.sleep(delay)


__all__ = ["RETRY_DELAYS", "is_transient_error", "retry_transient", "wait_before_retry"]
