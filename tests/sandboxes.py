"""Tests whose agents run shell commands need the bubblewrap sandbox the bash tool runs in."""

from __future__ import annotations

import os

import pytest

from bot.agents.tools import SandboxPolicy, shell_mode

# Skipped where bubblewrap cannot build a sandbox (a fresh machine without Debian's bubblewrap),
# except in CI, which installs it: there a missing sandbox fails these tests.
needs_sandbox = pytest.mark.skipif(
    shell_mode(SandboxPolicy()).kind != "sandbox" and os.environ.get("CI") != "true",
    reason="bubblewrap cannot build a sandbox here (install Debian's bubblewrap)",
)
