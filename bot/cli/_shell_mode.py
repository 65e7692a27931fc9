"""The start-up line of ``specbot serve`` and ``specbot worker``: how agents' shells run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


def shell_mode_line(settings: Settings) -> str:
    """One sentence: sandboxed, UNSAFE without a sandbox, or refused (and why)."""
    from bot.agents.tools import SandboxPolicy, shell_mode

    return shell_mode(SandboxPolicy.from_settings(settings)).description
