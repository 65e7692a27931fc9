"""Processes an agent's shell leaves behind, counted from the host's process table."""

from __future__ import annotations

import secrets
import time
from pathlib import Path


def new_marker() -> str:
    """A name no other process on the machine has."""
    return f"specbot-survivor-{secrets.token_hex(6)}"


def survivors_command(marker: str) -> str:
    """Start three long sleeps that try to outlive the shell: setsid, nohup, double fork."""
    sleeper = f"bash -c 'exec -a {marker} sleep 600'"
    return (
        f"setsid {sleeper} >/dev/null 2>&1 & "
        f"nohup {sleeper} >/dev/null 2>&1 & "
        f"( ( {sleeper} >/dev/null 2>&1 & ) & ); "
        "echo started"
    )


def count(marker: str) -> int:
    """How many live (not zombie) processes carry ``marker`` as their argv[0]."""
    found = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0]
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if argv0 == marker.encode() and state != "Z":
            found += 1
    return found


def settled_count(marker: str, expected: int, patience: float = 10.0) -> int:
    """The count once it equals ``expected``, else after ``patience`` seconds (processes start
    and die asynchronously)."""
    give_up = time.monotonic() + patience
    while (seen := count(marker)) != expected and time.monotonic() < give_up:
        time.sleep(0.05)
    return seen
