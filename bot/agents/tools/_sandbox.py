"""What a command may see: a scrubbed environment, no network, no credentials in git config.

The environment is built from an allow-list, then anything that looks like a secret by name
or by value is dropped, so a token in the service's own environment never reaches a command.
Isolation uses Linux namespaces through ``unshare`` where the machine allows it: no network,
and a private process table so ``/proc/<pid>/environ`` of the service cannot be read.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_ALLOWED_NAMES = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR"}
)
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|KEY|CREDENTIAL|AUTH(?!OR)|COOKIE|SESSION|PRIVATE|^GITHUB_|^GH_|^ANTHROPIC_",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|sk-ant-[\w-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY"
)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)


def is_secret(name: str, value: str) -> bool:
    """Whether an environment variable looks like a credential, by name or by value."""
    return bool(_SECRET_NAME.search(name) or _SECRET_VALUE.search(value))


def scrubbed_environment(
    base: Mapping[str, str], *, home: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for commands: allow-listed, secret-free, with a private ``HOME``."""
    env = {
        name: value
        for name, value in base.items()
        if (name in _ALLOWED_NAMES or name.startswith("LC_")) and not is_secret(name, value)
    }
    env.update({n: v for n, v in (extra or {}).items() if not is_secret(n, v)})
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        {
            "HOME": str(home),  # no ~/.gitconfig, ~/.netrc or credential store of the service
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "TERM": "dumb",
        }
    )
    return env


@dataclass(frozen=True)
class Isolation:
    """How commands are confined: the command prefix and a sentence for the run log."""

    prefix: tuple[str, ...]
    network_isolated: bool
    description: str


# Tried in order: as root, then through an unprivileged user namespace.
_CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("--net", "--pid", "--mount-proc", "--kill-child"),
    ("--map-root-user", "--net", "--pid", "--mount-proc", "--kill-child"),
    ("--net",),
    ("--map-root-user", "--net"),
)


@functools.cache
def detect_isolation() -> Isolation:
    """The strongest confinement this machine allows (probed once per process)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return Isolation((), False, "network NOT isolated: the unshare command is not installed")
    for flags in _CANDIDATES:
        prefix = (unshare, *flags)
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            private_pids = "--pid" in flags
            what = "network and process table isolated" if private_pids else "network isolated"
            return Isolation(prefix, True, f"{what} ({' '.join(('unshare', *flags))})")
    return Isolation(
        (), False, "network NOT isolated: this machine does not allow unshare --net namespaces"
    )


def scrub_git_remotes(root: Path) -> list[str]:
    """Remove credentials from the checkout's git config; return what was changed."""
    if not (root / ".git").exists():
        return []
    changed: list[str] = []
    for key, value in _git_config_entries(root, r"^remote\..*\.(url|pushurl)$"):
        clean = _USERINFO.sub(r"\1", value)
        if clean != value:
            _git(root, "config", "--replace-all", key, clean, re.escape(value))
            changed.append(f"removed credentials from {key}")
    for key, _ in _git_config_entries(root, r"^http\..*extraheader$"):
        _git(root, "config", "--unset-all", key)
        changed.append(f"removed {key}")
    return sorted(set(changed))


def _git_config_entries(root: Path, pattern: str) -> list[tuple[str, str]]:
    listed = _git(root, "config", "--local", "--get-regexp", pattern)
    entries = []
    for line in listed.splitlines():
        key, _, value = line.partition(" ")
        entries.append((key, value))
    return entries


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=30
    )
    return result.stdout
