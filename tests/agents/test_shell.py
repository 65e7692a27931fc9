"""The bash tool: a persistent, confined shell with timeouts, capped output and no secrets."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.agents import build_toolbox, load_role
from bot.agents.tools import (
    UNSAFE_SETTING,
    BashTool,
    CappedOutput,
    SandboxPolicy,
    Workspace,
    detect_isolation,
    shell_mode,
)

CANARY = "canary-7f3a9c2e51d04b8e"
HOSTILE_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "GITHUB_TOKEN": f"ghp_{CANARY}",
    "ANTHROPIC_API_KEY": f"sk-ant-{CANARY}",
    "SPECBOT_WEBHOOK_SECRET": CANARY,
    "DATABASE_PASSWORD": CANARY,
    "INNOCENT_LOOKING": f"ghp_{CANARY}abcdefghijkl",
    "USER": "specbot",
}


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def shell(workspace: Workspace, events) -> Iterator[BashTool]:
    """A bash tool started from an environment full of canary secrets."""
    tool = BashTool(
        workspace,
        timeout=10,
        base_env=HOSTILE_ENV,
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    yield tool
    tool.close()


def run(tool: BashTool, command: str):
    return tool.run({"command": command})


def test_state_persists_between_commands_and_restart_resets_it(shell: BashTool):
    """cd and variables survive to the next command; restart gives a fresh shell in the root."""
    run(shell, "cd pkg && export GREETING=hello")
    assert run(shell, 'echo "$GREETING from $(basename "$PWD")"').content == "hello from pkg"
    assert shell.run({"restart": True}).content == "shell restarted"
    assert run(shell, 'echo "[$GREETING] $(basename "$PWD")"').content == "[] checkout"


def test_exit_status_stderr_and_syntax_errors_are_reported(shell: BashTool):
    """Output includes stderr and a non-zero status; a syntax error does not break the shell."""
    failed = run(shell, "echo out; echo err >&2; exit_code() { return 3; }; exit_code")
    assert failed.content == "out\nerr\n<exit status 3>"
    broken = run(shell, 'echo "unterminated')
    assert "<exit status 2>" in broken.content
    assert run(shell, "echo still alive").content == "still alive"
    assert run(shell, "true").content == "(no output)"


def test_commands_cannot_read_the_tool_protocol_from_stdin(shell: BashTool):
    """A command reading stdin gets end-of-file instead of swallowing the next command."""
    assert run(shell, "cat; echo done").content == "done"
    assert run(shell, "echo next").content == "next"


def test_exit_ends_the_shell_and_the_next_command_gets_a_new_one(shell: BashTool):
    """exit is reported as the shell ending; the tool then starts over."""
    ended = run(shell, "exit 4")
    assert ended.is_error and "the shell exited with status 4" in ended.content
    assert run(shell, "echo back").content == "back"


# No bubblewrap there: the refused mode, or with the unsafe setting the weaker one.
NO_SANDBOX = SandboxPolicy(bwrap="/nonexistent/bwrap", unsafe_without_sandbox=True)


@pytest.mark.parametrize("sandbox", [SandboxPolicy(), NO_SANDBOX], ids=["sandbox", "unsafe"])
def test_a_command_that_sleeps_forever_is_killed_with_its_children(
    workspace: Workspace, sandbox: SandboxPolicy
):
    """At the timeout the whole process group dies, background children included, in the
    sandbox and in the unsafe mode alike."""
    beats = workspace.root / "beats"
    tool = BashTool(workspace, timeout=1.0, base_env=HOSTILE_ENV, sandbox=sandbox)
    try:
        # A background child that writes a heartbeat every 50 ms for as long as it lives.
        result = run(tool, "(while :; do echo x >> beats; sleep 0.05; done) & sleep 1000")
        assert result.is_error
        assert "timed out after 1 s" in result.content
        assert has_stopped_growing(beats)
        assert run(tool, "echo fresh").content == "fresh"
    finally:
        tool.close()


def has_stopped_growing(path: Path) -> bool:
    """Whether the file keeps its size for a second (its writer is dead)."""
    size = path.stat().st_size
    assert size > 0
    time.sleep(1.0)
    return path.stat().st_size == size


def test_output_is_capped_keeping_head_and_tail(workspace: Workspace):
    """A flood of output keeps its first and last lines and says how much was left out."""
    tool = BashTool(workspace, timeout=20, output_limit=2000, base_env=HOSTILE_ENV)
    try:
        result = run(tool, "seq 1 100000")
    finally:
        tool.close()
    assert result.content.startswith("1\n2\n3\n")
    assert result.content.endswith("99999\n100000")
    assert "bytes of output omitted" in result.content
    assert len(result.content) < 2200


def test_capped_output_counts_what_it_drops():
    """CappedOutput keeps head and tail halves exactly."""
    capped = CappedOutput(512)
    capped.add(b"a" * 300)
    capped.add(b"b" * 700)
    assert capped.head == b"a" * 256
    assert capped.tail == b"b" * 256
    assert "<488 bytes of output omitted>" in capped.text()


def test_no_secret_reaches_a_command(workspace: Workspace, monkeypatch: pytest.MonkeyPatch):
    """With canaries in the service's own environment, no command sees one: not in its env, not
    in /proc/self, and (with a private process table) not in the service's /proc/<pid>/environ."""
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    tool = BashTool(workspace, timeout=10)  # inherits os.environ, as in production
    try:
        outputs = [
            run(tool, "env").content,
            run(tool, "cat /proc/self/environ | tr '\\0' '\\n'").content,
            run(tool, "echo $GITHUB_TOKEN $ANTHROPIC_API_KEY $INNOCENT_LOOKING").content,
        ]
        if "process table isolated" in detect_isolation().description:
            outputs.append(run(tool, f"cat /proc/{os.getpid()}/environ 2>&1; echo").content)
            outputs.append(run(tool, "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'").content)
    finally:
        tool.close()
    for output in outputs:
        assert CANARY not in output
    assert "HOME=" in outputs[0] and "USER=specbot" in outputs[0]


def test_known_secret_values_are_redacted_from_every_tool(workspace: Workspace):
    """A secret the toolbox was told about is redacted from shell and editor output alike,
    even when a file in the checkout holds it."""
    (workspace.root / "leak.txt").write_text(f"token={CANARY}\n")
    role = load_role("implementer")
    with build_toolbox(role, workspace, base_env=HOSTILE_ENV, redact=[CANARY, "ab"]) as tools:
        shown = tools.execute("bash", {"command": "cat leak.txt"}).content
        viewed = tools.execute(
            "str_replace_based_edit_tool", {"command": "view", "path": "leak.txt"}
        ).content
    assert shown == "token=<redacted>"
    assert viewed.startswith("     1\ttoken=<redacted>")
    assert CANARY not in shown + viewed


def test_network_is_off_where_the_machine_allows_it(shell: BashTool, events):
    """In the sandbox only a loopback interface exists; the run log says which mode runs."""
    mode = shell_mode(SandboxPolicy())
    output = run(shell, "cat /proc/net/dev").content
    started = [payload for kind, payload in events if kind == "sandbox.started"]
    if mode.kind != "sandbox":
        pytest.skip(f"no sandbox on this machine: {mode.description}")
    assert started == [
        {"mode": "sandbox", "network_isolated": True, "description": mode.description}
    ]
    interfaces = [line.split(":")[0].strip() for line in output.splitlines()[2:]]
    assert interfaces == ["lo"]


def test_token_bearing_git_remotes_are_scrubbed_before_the_shell_starts(
    workspace: Workspace, events
):
    """Credentials in remote URLs and http extraheaders are removed from the checkout's config."""
    root = workspace.root
    (root / ".git").rename(root / "old-git")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "remote",
            "add",
            "origin",
            f"https://x-access-token:ghs_{CANARY}@github.com/acme/widgets.git",
        ],
        check=True,
    )
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "config",
            "http.https://github.com/.extraheader",
            f"AUTHORIZATION: basic {CANARY}",
        ],
        check=True,
    )
    tool = BashTool(
        workspace,
        base_env=HOSTILE_ENV,
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    try:
        remote = run(tool, "git remote -v; git config --list --local").content
    finally:
        tool.close()
    assert CANARY not in remote
    assert "https://github.com/acme/widgets.git" in remote
    changes = [p["change"] for kind, p in events if kind == "sandbox.git_config"]
    assert "removed credentials from remote.origin.url" in changes


def test_nul_bytes_and_empty_commands_are_refused(shell: BashTool):
    """Malformed input is an error result, not an exception."""
    assert run(shell, "echo a\x00b").is_error
    assert shell.run({}).is_error


def test_without_a_sandbox_the_shell_is_refused_with_the_reason(workspace: Workspace):
    """Where bubblewrap cannot run, no command runs: the model and the run log get one sentence
    naming the cause and the setting that would allow an unconfined shell."""
    seen: list[tuple[str, dict[str, Any]]] = []
    tool = BashTool(
        workspace,
        base_env=HOSTILE_ENV,
        sandbox=SandboxPolicy(bwrap="/nonexistent/bwrap"),
        on_event=lambda kind, payload: seen.append((kind, payload)),
    )
    try:
        refused = run(tool, "touch ran")
        restarted = tool.run({"restart": True})
    finally:
        tool.close()
    assert refused.is_error and restarted.is_error
    assert refused.content.startswith("Error: the bash tool is refused: bubblewrap")
    assert "/nonexistent/bwrap) is not installed" in refused.content
    assert f"{UNSAFE_SETTING}=1" in refused.content
    assert not (workspace.root / "ran").exists()
    assert [kind for kind, _ in seen] == ["sandbox.refused", "sandbox.refused"]


def test_a_sandbox_the_kernel_refuses_is_refused_too(workspace: Workspace, tmp_path: Path):
    """A bubblewrap that cannot create namespaces (as under a seccomp profile that forbids
    them) refuses the shell with bubblewrap's own message."""
    bwrap = tmp_path / "bwrap"
    bwrap.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
    )
    bwrap.chmod(0o755)
    tool = BashTool(workspace, base_env=HOSTILE_ENV, sandbox=SandboxPolicy(bwrap=str(bwrap)))
    try:
        refused = run(tool, "touch ran")
    finally:
        tool.close()
    assert refused.is_error
    assert "(bwrap: No permissions to creating new namespace)" in refused.content
    assert not (workspace.root / "ran").exists()


def test_the_unsafe_setting_runs_the_shell_and_the_run_log_says_so(workspace: Workspace):
    """With the unsafe setting the shell runs without a filesystem sandbox, and the
    sandbox.started event says so in capitals."""
    seen: list[tuple[str, dict[str, Any]]] = []
    tool = BashTool(
        workspace,
        base_env=HOSTILE_ENV,
        sandbox=NO_SANDBOX,
        on_event=lambda kind, payload: seen.append((kind, payload)),
    )
    try:
        assert run(tool, "echo ran").content == "ran"
    finally:
        tool.close()
    [(kind, payload)] = seen
    assert kind == "sandbox.started" and payload["mode"] == "unsafe"
    assert payload["description"].startswith(
        f"UNSAFE: agents' shells run WITHOUT a filesystem sandbox ({UNSAFE_SETTING} is set"
    )
    assert payload["network_isolated"] is detect_isolation().network_isolated
