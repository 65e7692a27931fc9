"""The shell's sandbox, attacked: nothing of the service is readable, nothing outlives the shell.

The layout is the service's: a data directory holding the database, a repository mirror and
two runs' checkouts (the agent works in one, ``clone --shared`` from the mirror), the App's
private key next to it. The agent's shell tries every way out that worked before the sandbox.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.agents.tools import BashTool, SandboxPolicy, Workspace, shell_mode
from bot.agents.tools._bubblewrap import SYSTEM_TREES
from bot.work import shell_base_env, venv_environment
from tests.processes import new_marker, settled_count, survivors_command

KEY = "-----BEGIN RSA PRIVATE KEY-----\ncanary-key-5d1e09b7c3a8\n-----END RSA PRIVATE KEY-----\n"
DATABASE = "canary-database-0f4b2e"
OTHER_RUN = "canary-other-run-7a91c3"

pytestmark = pytest.mark.skipif(
    shell_mode(SandboxPolicy()).kind != "sandbox",
    reason="bubblewrap cannot build a sandbox on this machine",
)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@dataclass
class Service:
    """Where the service keeps what no agent may read."""

    data: Path
    key: Path
    database: Path
    other_run: Path
    checkout: Path

    def policy(self, **changes: object) -> SandboxPolicy:
        return SandboxPolicy(hidden=(self.data, self.key, self.database), **changes)  # type: ignore[arg-type]


@pytest.fixture
def service(tmp_path: Path) -> Service:
    data = tmp_path / "data"
    mirror = data / "work" / "mirrors" / "acme__widgets.git"
    source = tmp_path / "source"
    source.mkdir()
    (source / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git(source, "init", "-q", "-b", "main")
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "first")
    git(tmp_path, "clone", "-q", "--mirror", str(source), str(mirror))
    checkout = data / "work" / "checkouts" / "run-1"
    git(tmp_path, "clone", "-q", "--shared", str(mirror), str(checkout))
    other = data / "work" / "checkouts" / "run-2"
    other.mkdir(parents=True)
    (other / "notes.txt").write_text(OTHER_RUN)
    database = data / "specbot.sqlite"
    database.write_text(DATABASE)
    key = tmp_path / "app-key.pem"
    key.write_text(KEY)
    return Service(data, key, database, other / "notes.txt", checkout)


@pytest.fixture
def shell(service: Service) -> Iterator[BashTool]:
    env = venv_environment(Path(sys.prefix), shell_base_env())
    tool = BashTool(Workspace(service.checkout), timeout=20, base_env=env, sandbox=service.policy())
    yield tool
    tool.close()


def run(tool: BashTool, command: str) -> str:
    return tool.run({"command": command}).content


def escape_command(service: Service, escape: str) -> str:
    """Each way a shell in the checkout reached the service's files before the sandbox."""
    key, up = service.key, "../../../.."  # from data/work/checkouts/run-1 to tmp_path
    commands = {
        "relative path": f"cat {up}/{key.name}",
        "absolute path": f"cat {key}",
        "through /proc/1/root": f"cat /proc/1/root{key}",
        "symlink made in the shell": f"ln -s {key} key-link && cat key-link",
        "base64 of the key": f"base64 -w0 {key}",
        "the database": f"cat ../../../specbot.sqlite {service.database}",
        "another run's checkout": f"cat ../run-2/notes.txt {service.other_run}",
        "a search of the data directory": f"grep -r canary {service.data} 2>&1",
    }
    return commands[escape]


ESCAPES = [
    "relative path",
    "absolute path",
    "through /proc/1/root",
    "symlink made in the shell",
    "base64 of the key",
    "the database",
    "another run's checkout",
    "a search of the data directory",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_no_file_of_the_service_is_reachable(service: Service, shell: BashTool, escape: str):
    """Relative and absolute paths, /proc/1/root, a symlink, base64: each finds nothing."""
    output = run(shell, escape_command(service, escape))
    encoded = base64.b64encode(KEY.encode()).decode()
    for canary in ("canary-key", DATABASE, OTHER_RUN, encoded[8:40]):
        assert canary not in output
    assert output.endswith("<exit status 1>")  # found nothing


def test_the_checkout_is_the_only_writable_tree_and_tmp_is_private(
    service: Service, shell: BashTool
):
    """Writes to the venv, system directories and the data directory fail; /tmp is private."""
    name = new_marker()  # a unique name, removed below should the sandbox ever fail
    planted = [
        Path(sys.prefix) / name,
        Path("/usr") / name,
        service.data / name,
        Path("/tmp", name),
    ]
    try:
        output = run(
            shell,
            f"touch {planted[0]}; touch {planted[1]}; mkdir -p {planted[2]}; "
            f"echo private > {planted[3]}; echo ok > made.txt; cat made.txt",
        )
        assert output.count("Read-only file system") == 2
        assert [path.exists() for path in planted] == [False] * 4
    finally:
        for path in planted:
            subprocess.run(["rm", "-rf", str(path)], check=False)
    assert (service.checkout / "made.txt").read_text() == "ok\n"
    assert run(shell, "ls -A $HOME; echo $HOME") == "/tmp/home"  # not the service's HOME


def test_git_and_the_runs_python_work_inside(service: Service, shell: BashTool):
    """The shared clone's objects and the virtual environment are there, read-only."""
    output = run(
        shell,
        "echo 'def sub(a, b):\n    return a - b' > sub.py && git add sub.py && "
        "git -c user.name=a -c user.email=a@example.com commit -q -m sub && git log --oneline "
        "| wc -l && python -c 'import pydantic, sys; print(sys.prefix)'",
    )
    assert output.splitlines() == ["2", sys.prefix]
    assert "sub" in git(service.checkout, "log", "--format=%s", "-1")


def test_a_key_inside_a_mounted_system_tree_is_masked(tmp_path: Path, service: Service):
    """Even where the operator keeps the key in a directory the sandbox mounts (/etc, say),
    the key's path is masked: reading it fails."""
    etc = tmp_path / "etc-like"
    etc.mkdir()
    key = etc / "app-key.pem"
    key.write_text(KEY)
    policy = SandboxPolicy(hidden=(key,), system=(*SYSTEM_TREES, str(etc)))
    tool = BashTool(Workspace(service.checkout), timeout=20, sandbox=policy)
    try:
        shown = run(tool, f"ls {etc}; cat {key}; base64 -w0 {key}")
    finally:
        tool.close()
    assert shown.startswith("app-key.pem\n") and shown.endswith("<exit status 1>")
    assert "canary-key" not in shown and base64.b64encode(KEY.encode()).decode()[:20] not in shown


def test_alternates_written_in_the_shell_mount_nothing_new(service: Service, shell: BashTool):
    """A command pointing the checkout's git alternates at another run's checkout, then a
    restart: the new shell still sees only what the first one did."""
    alternates = ".git/objects/info/alternates"
    run(shell, f"echo {service.other_run.parent} >> {alternates}")
    assert shell.run({"restart": True}).content == "shell restarted"
    output = run(shell, f"cat {service.other_run}")
    assert OTHER_RUN not in output and "No such file or directory" in output


def test_the_service_process_table_and_network_are_out_of_sight(shell: BashTool):
    """Its own PID namespace (the service's pid does not exist) and only a loopback device."""
    assert run(shell, f"test -e /proc/{os.getpid()}/environ || echo gone") == "gone"
    devices = run(shell, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
    assert devices == "lo"


@pytest.mark.parametrize("ending", ["close", "timeout", "restart", "exit"])
def test_no_process_outlives_the_shell(service: Service, ending: str):
    """setsid, nohup and a double fork all die with the shell: when it is closed, when a
    command times out, when it is restarted and when it exits."""
    marker = new_marker()
    tool = BashTool(Workspace(service.checkout), timeout=2, sandbox=service.policy())
    try:
        assert run(tool, survivors_command(marker)) == "started"
        assert settled_count(marker, 3) == 3
        if ending == "close":
            tool.close()
        elif ending == "timeout":
            assert "timed out" in run(tool, "sleep 1000")
        elif ending == "restart":
            tool.run({"restart": True})
        else:
            assert "the shell exited" in run(tool, "exit 3")
        assert settled_count(marker, 0) == 0
    finally:
        tool.close()
