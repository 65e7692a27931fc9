"""The filesystem sandbox of an agent's shell: bubblewrap, or a refusal that says why.

Inside the sandbox the checkout is the only writable tree. System directories, the run's
virtual environment (and the interpreter it was made from) and the objects a ``clone --shared``
checkout borrows are mounted read-only; ``/tmp`` (and so ``HOME``) is private and empty; the
service's data directory, other runs, the database, the App's private key and ``$HOME`` are not
mounted at all, and where one of them lies inside a system directory it is masked. The shell
has its own PID namespace (every process it starts dies with it), no network, no IPC or UTS
sharing. Where bubblewrap cannot build this, shells are refused unless the operator set
``SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX``, which runs them with network and process isolation
only (the shell can then read every file the service can).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.agents.tools._sandbox import detect_isolation

if TYPE_CHECKING:
    from bot.settings import Settings

UNSAFE_SETTING = "SPECBOT_UNSAFE_SHELL_WITHOUT_SANDBOX"
SANDBOX_HOME = "/tmp/home"  # inside the sandbox's private /tmp
# Read-only system trees; /home, /root, /opt, /srv, /var, /run, /mnt and the rest stay unmounted.
SYSTEM_TREES = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class SandboxPolicy:
    """How agents' shells are confined, as the operator configured it."""

    bwrap: str = "bwrap"  # the bubblewrap program
    unsafe_without_sandbox: bool = False  # run shells unconfined where bubblewrap cannot
    hidden: tuple[Path, ...] = ()  # the service's files, masked if a system tree holds them
    system: tuple[str, ...] = SYSTEM_TREES

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxPolicy:
        """The policy of ``settings``: hides the data directory, key and database."""
        hidden = [settings.data_dir, Path.home()]
        if settings.github_private_key_path is not None:
            hidden.append(settings.github_private_key_path)
        url = settings.resolved_database_url()
        if url.startswith("sqlite:///"):
            hidden.append(Path(url.removeprefix("sqlite:///")))
        return cls(
            bwrap=settings.sandbox_bwrap,
            unsafe_without_sandbox=settings.unsafe_shell_without_sandbox,
            hidden=tuple(Path(path).absolute() for path in hidden),
        )


@dataclass(frozen=True)
class ShellMode:
    """Whether shells may start and how they are confined, in one sentence for logs."""

    kind: Literal["sandbox", "unsafe", "refused"]
    description: str


def shell_mode(policy: SandboxPolicy) -> ShellMode:
    """What the shells of ``policy`` run in on this machine (probed once per program)."""
    failure = _probe(policy.bwrap, policy.system)
    if failure is None:
        return ShellMode(
            "sandbox",
            "agents' shells run in a bubblewrap sandbox: only the checkout is writable, "
            "nothing of the service is visible, own PID namespace, no network",
        )
    if policy.unsafe_without_sandbox:
        return ShellMode(
            "unsafe",
            f"UNSAFE: agents' shells run WITHOUT a filesystem sandbox ({UNSAFE_SETTING} is "
            f"set; {failure}): they can read every file the service can; "
            f"{detect_isolation().description}",
        )
    return ShellMode(
        "refused",
        f"the bash tool is refused: {failure}; install bubblewrap where the kernel allows "
        f"namespaces, or set {UNSAFE_SETTING}=1 to run shells that can read every file "
        "the service can",
    )


@functools.cache
def _probe(bwrap: str, system: tuple[str, ...]) -> str | None:
    """None when bubblewrap builds a sandbox here, else why not."""
    program = shutil.which(bwrap)
    if program is None:
        return f"bubblewrap ({bwrap}) is not installed"
    with tempfile.TemporaryDirectory(prefix="specbot-probe-") as root:
        policy = SandboxPolicy(bwrap=program, system=system)
        argv = sandbox_argv(policy, root=Path(root), readonly=())
        try:
            probe = subprocess.run(
                [*argv, "true"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not run: {exc}"
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot create a sandbox on this machine ({said})"
    return None


def sandbox_argv(
    policy: SandboxPolicy,
    *,
    root: Path,
    readonly: Sequence[Path],
    writable: Sequence[Path] = (),
    network: bool = False,
) -> list[str]:
    """The bubblewrap command line (up to the command) confining a shell to ``root``
    (and ``writable``, a test run's report directory and HOME); ``network`` for setup, which
    downloads the project's dependencies."""
    argv = [policy.bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
    if network:
        argv.append("--share-net")
    argv += ["--tmpfs", "/tmp", "--dir", SANDBOX_HOME]
    for tree in policy.system:
        path = Path(tree)
        if path.is_symlink():
            argv += ["--symlink", str(path.readlink()), tree]
        elif path.is_dir():
            argv += ["--ro-bind", tree, tree]
    argv += _masks(policy)
    argv += ["--proc", "/proc", "--dev", "/dev"]
    for extra in readonly:
        # Never a tree holding something hidden (a venv made from a python under $HOME's root).
        if extra.parent == extra or not extra.exists():
            continue
        if not any(h.is_relative_to(extra) for h in policy.hidden):
            argv += ["--ro-bind", str(extra), str(extra)]
    for extra in writable:
        argv += ["--bind", str(extra.resolve()), str(extra.resolve())]
    real = str(root.resolve())
    argv += ["--bind", real, real, "--chdir", real, "--"]
    return argv


def _masks(policy: SandboxPolicy) -> list[str]:
    """Mounts hiding each of the service's paths that a system tree would show."""
    argv: list[str] = []
    for hidden in policy.hidden:
        if not any(hidden.is_relative_to(tree) for tree in policy.system):
            continue
        if hidden.is_dir():
            argv += ["--tmpfs", str(hidden)]
        elif hidden.exists():
            argv += ["--ro-bind", "/dev/null", str(hidden)]
    return argv


def readonly_paths(root: Path, env: Mapping[str, str]) -> list[Path]:
    """What a shell in ``root`` reads outside it: the venv, its interpreter, shared objects."""
    paths: list[Path] = []
    # The venv named by VIRTUAL_ENV and any other whose bin directory is on PATH.
    named = Path(env["VIRTUAL_ENV"]) if env.get("VIRTUAL_ENV") else None
    venvs = [Path(entry).parent for entry in env.get("PATH", "").split(":") if entry]
    for venv in dict.fromkeys([*([named] if named else []), *venvs]):
        if venv.is_absolute() and (venv == named or (venv / "pyvenv.cfg").is_file()):
            paths += [venv, *_interpreter_prefix(venv)]
    alternates = root / ".git" / "objects" / "info" / "alternates"
    if alternates.is_file():
        for line in alternates.read_text(errors="replace").splitlines():
            if line.strip() and not line.startswith("#"):
                paths.append((alternates.parent.parent / line.strip()).resolve())
    return paths


def _interpreter_prefix(venv: Path) -> list[Path]:
    """The installation a virtual environment's python links to (``home`` in pyvenv.cfg)."""
    try:
        config = (venv / "pyvenv.cfg").read_text(errors="replace")
    except OSError:
        return []
    for line in config.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return [Path(value.strip()).parent]
    return []
