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
from bot.agents.tools import BashTool, CappedOutput, Workspace, detect_isolation

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


@pytest.mark.parametrize("isolate", [True, False])
def test_a_command_that_sleeps_forever_is_killed_with_its_children(
    workspace: Workspace, isolate: bool
):
    """At the timeout the whole process group dies, background children included, with and
    without namespace isolation."""
    beats = workspace.root / "beats"
    tool = BashTool(workspace, timeout=1.0, base_env=HOSTILE_ENV, isolate=isolate)
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
    """With namespaces available, only a loopback interface exists; the run log says which."""
    isolation = detect_isolation()
    output = run(shell, "cat /proc/net/dev").content
    started = [payload for kind, payload in events if kind == "sandbox.started"]
    assert started and started[0]["description"] == isolation.description
    assert started[0]["network_isolated"] is isolation.network_isolated
    if not isolation.network_isolated:
        pytest.skip(f"this machine cannot isolate the network: {isolation.description}")
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


def test_the_run_log_says_when_the_network_is_not_isolated(workspace: Workspace):
    """Without isolation the sandbox.started event says plainly that the network is open."""
    seen: list[tuple[str, dict[str, Any]]] = []
    tool = BashTool(
        workspace,
        base_env=HOSTILE_ENV,
        isolate=False,
        on_event=lambda kind, payload: seen.append((kind, payload)),
    )
    try:
        run(tool, "true")
    finally:
        tool.close()
    assert seen == [
        (
            "sandbox.started",
            {
                "network_isolated": False,
                "description": "network NOT isolated: isolation turned off by configuration",
            },
        )
    ]
