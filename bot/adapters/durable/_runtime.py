"""The engine serving this process's durable workflows.

DBOS is a process-wide singleton and runs workflows by registered name, so the workflow
functions find their catalog through the one engine launched in this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.adapters.durable._engine import Engine

_active: list[Engine] = []


def bind(engine: Engine) -> None:
    """Make ``engine`` the one serving workflows in this process."""
    if _active:
        raise RuntimeError("a durable engine is already launched in this process")
    _active.append(engine)


def unbind(engine: Engine) -> None:
    """Forget ``engine`` after shutdown."""
    if engine in _active:
        _active.remove(engine)


def active() -> Engine:
    """The launched engine; workflows run only while one is launched."""
    if not _active:
        raise RuntimeError("no durable engine is launched in this process")
    return _active[0]
