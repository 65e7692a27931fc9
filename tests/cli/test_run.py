"""``specbot run`` end to end: a real git repository, the scripted model over HTTP, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.local import RunReport, run_text
from bot.scripted import ScriptedModelServer, start_scripted_model
from tests.cli.local_repos import (
    API_KEY,
    DATA,
    SPEC,
    git,
    make_calc_repo,
    model_env,
    model_requests,
)
from tests.conftest import ROOT, RunSpecbot
from tests.raw_http import RawServer

BRANCH = "specbot/local-subtract-two-numbers"
RUN_SCRIPT = DATA / "run-script.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The calc repository on ``main``, with an uncommitted change of the user's own."""
    path = make_calc_repo(tmp_path)
    (path / "notes.txt").write_text("my own notes, not committed\n", encoding="utf-8")
    return path


@pytest.fixture
def model() -> Iterator[ScriptedModelServer]:
    """The scripted planner and implementer of ``data/run-script.yaml``."""
    server = start_scripted_model(RUN_SCRIPT)
    yield server
    server.stop()


def run_script_with(implementer_turn: dict[str, Any]) -> dict[str, Any]:
    """The run script's planner, then an implementer that takes one turn and is done."""
    script = yaml.safe_load(RUN_SCRIPT.read_text(encoding="utf-8"))
    done = {"when": {"role": "Role: implementer", "turn": 1}, "reply": [{"text": "Done."}]}
    return {"turns": [script["turns"][0], implementer_turn, done]}


def test_ready_spec_is_committed_on_a_new_branch(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A ready spec ends as one commit on a new branch with the implementer's files, tests
    passed and each criterion linked to its test; the user's branch and files are untouched."""
    git(repo, "branch", BRANCH)  # the default name is taken: the run picks the next one
    env = model_env(tmp_path / "data", model)
    result = run_specbot("run", str(SPEC), "--repo", str(repo), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    branch = f"{BRANCH}-2"
    assert git(repo, "rev-list", "--count", f"main..{branch}").strip() == "1"
    assert git(repo, "rev-parse", BRANCH) == git(repo, "rev-parse", "main")
    tree = git(repo, "ls-tree", "-r", "--name-only", branch).split()
    assert "tests/test_subtract.py" in tree
    assert ".github/workflows/ci.yml" not in tree  # written by the agent, put back by the guard
    assert not [path for path in tree if "__pycache__" in path]  # from the agent's test run
    assert "def subtract(a, b):" in git(repo, "show", f"{branch}:calc/ops.py")
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert message.startswith("specbot: Subtract two numbers\n")
    assert "Implements subtract-spec.md (specbot run, local)." in message
    assert "- [met] 1. `subtract(5, 3)` returns `2`." in message
    assert "test_c2_three_minus_five" in message
    assert "removed the new file .github/workflows/ci.yml" in message
    for stage in ("checkout", "setup", "plan", "implement", "guard", "test", "criteria"):
        assert f"✓ {stage} (" in result.stderr
    assert "    implementer › create tests/test_subtract.py" in result.stderr
    # The user's checkout: same branch, same files, their uncommitted file still there.
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(repo, "status", "--porcelain").strip() == "?? notes.txt"
    assert not (repo / "tests" / "test_subtract.py").exists()
    assert not list((tmp_path / "data" / "local").iterdir())  # the private checkout is gone
    assert_json_report(result.stdout, repo, branch, model)


def assert_json_report(stdout: str, repo: Path, branch: str, model: ScriptedModelServer) -> None:
    """The JSON report of a successful run, and the text summary made from it."""
    report = json.loads(stdout)
    assert report["ok"] is True and report["outcome"] == "committed"
    assert report["branch"] == branch
    assert report["commit"] == git(repo, "rev-parse", branch).strip()
    assert sorted(report["files_changed"]) == ["calc/ops.py", "tests/test_subtract.py"]
    assert (report["tests"]["status"], report["tests"]["passed"]) == ("passed", 3)
    assert [c["status"] for c in report["criteria"]] == ["met", "met"]
    assert report["usage"]["calls"] == model_requests(model) == 4
    assert report["usage"]["input_tokens"] > 0 and report["usage"]["output_tokens"] > 0
    text = run_text(RunReport.model_validate(report))
    assert f"branch:  {branch} ({report['commit'][:12]}" in text
    assert "plan:    Add subtract next to add in calc/ops.py" in text
    assert "agent:   Done: subtract added to calc/ops.py" in text
    assert "tests:   passed" in text and "3 passed, 0 failed" in text
    assert "1. [met]" in text and "2. [met]" in text
    assert "tests.test_subtract::test_c1_five_minus_three" in text
    assert "model: 4 call(s)" in text


def test_failing_tests_are_committed_and_exit_1(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """When the tests fail the work is still committed on the branch, and the run says why;
    the API key an agent's shell prints is redacted before the model sees it."""
    wrong_test = {
        "when": {"role": "Role: implementer", "turn": 0},
        "reply": [
            {"tool_use": {"name": "bash", "input": {"command": f"echo {API_KEY}"}}},
            {
                "tool_use": {
                    "name": "str_replace_based_edit_tool",
                    "input": {
                        "command": "create",
                        "path": "tests/test_subtract.py",
                        "file_text": "def test_c1_wrong():\n    assert 5 - 3 == 3\n",
                    },
                }
            },
        ],
    }
    server = start_scripted_model(run_script_with(wrong_test))
    try:
        env = model_env(tmp_path / "data", server)
        result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
        second_turn = server.log.entries(path="/v1/messages")[2].body
    finally:
        server.stop()
    # What the agent's shell printed reached the model with the API key redacted.
    tool_results = json.dumps(second_turn["messages"][-1])
    assert "<redacted>" in tool_results and API_KEY not in tool_results
    assert result.returncode == 1, result.stderr
    assert "NOT done: the tests failed (1 passed, 1 failed" in result.stdout
    assert "1. [NOT met (a test failed)]" in result.stdout
    assert "test output (last lines):" in result.stdout
    assert git(repo, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    assert "tests/test_subtract.py" in git(repo, "ls-tree", "-r", "--name-only", BRANCH)
    assert "Incomplete: the tests failed" in git(repo, "log", "-1", "--format=%B", BRANCH)


def test_planner_without_a_plan_exits_1_and_creates_no_branch(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """A planner that never submits a plan ends the run with exit 1, the reason, no branch."""
    server = start_scripted_model(
        {"turns": [{"when": {"role": "Role: planner"}, "reply": [{"text": "I would rather not."}]}]}
    )
    try:
        env = model_env(tmp_path / "data", server)
        result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
        requests = model_requests(server)
    finally:
        server.stop()
    assert result.returncode == 1
    assert "NOT done: no plan: the planner submitted no plan" in result.stdout
    assert "branch:  none created" in result.stdout
    assert requests == 2  # the first answer, then one reminder to call submit_plan
    assert BRANCH not in git(repo, "branch", "--list")


def test_not_ready_spec_exits_1_without_any_model_request(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A spec the gate finds not ready prints the verdict and exits 1; no model is asked."""
    vague = tmp_path / "vague.md"
    vague.write_text("# Faster\n\nMake the calculator better and faster.\n", encoding="utf-8")
    env = model_env(tmp_path / "data", model)
    result = run_specbot("run", str(vague), "--repo", str(repo), env=env)
    assert result.returncode == 1
    assert "not ready" in result.stdout
    assert "the spec is not ready; nothing was run" in result.stderr
    assert model_requests(model) == 0
    assert "specbot/" not in git(repo, "branch", "--list")


def test_not_ready_spec_as_json_is_the_lint_contract(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """With `--format json` a not-ready spec prints the gate's JSON verdict."""
    vague = tmp_path / "vague.md"
    vague.write_text("Make it better.\n", encoding="utf-8")
    env = model_env(tmp_path / "data", model)
    result = run_specbot("run", str(vague), "--repo", str(repo), "-f", "json", env=env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["ready"] is False


def test_an_unreachable_model_is_named_before_the_setup_runs(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """ANTHROPIC_BASE_URL where nothing listens: one line naming the URL, exit 2, and the
    setup never started (no checkout, no stage line); `specbot review` says the same."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {**model_env(tmp_path / "data", None), "ANTHROPIC_API_KEY": "k"}
    env["ANTHROPIC_BASE_URL"] = closed
    result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
    assert_one_line_error(result, f"the model at {closed} cannot be reached (connection refused)")
    assert not (tmp_path / "data" / "local").exists()
    reviewed = run_specbot("review", "--repo", str(repo), "--base", "HEAD", env=env)
    assert_one_line_error(reviewed, f"the model at {closed} cannot be reached")


def assert_one_line_error(result: Any, fragment: str) -> None:
    """Exit 2 with one line on stderr naming the problem, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_model_configured_exits_2_naming_the_settings(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """Without ANTHROPIC_API_KEY the run stops before anything with one line naming it."""
    result = run_specbot("run", str(SPEC), "--repo", str(repo), env=model_env(tmp_path, None))
    assert_one_line_error(result, "ANTHROPIC_API_KEY")
    assert "ANTHROPIC_BASE_URL" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--repo", "{tmp}"], "not a git repository"),
        (["--repo", "{tmp}/missing"], "no such folder"),
        (["--repo", "{repo}", "--base", "no-such-ref"], "'no-such-ref' is not a commit"),
        (["--repo", "{repo}", "--branch", "main"], "branch main already exists"),
        (["--repo", "{repo}", "--branch", "bad..name"], "not a valid branch name"),
        (["--repo", "{repo}", "--venv", "{tmp}"], "not a virtual environment"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    run_specbot: RunSpecbot,
    repo: Path,
    model: ScriptedModelServer,
    tmp_path: Path,
    arguments: list[str],
    fragment: str,
) -> None:
    """Bad repositories, refs, branch names or environments: exit 2, one line, no model call."""
    outside = tmp_path / "outside"
    outside.mkdir()
    given = [a.format(tmp=outside, repo=repo) for a in arguments]
    result = run_specbot("run", str(SPEC), *given, env=model_env(tmp_path / "data", model))
    assert_one_line_error(result, fragment)
    assert model_requests(model) == 0


def test_missing_spec_file_exits_2(run_specbot: RunSpecbot, repo: Path, tmp_path: Path) -> None:
    """A spec path that does not exist is a usage error naming it."""
    missing = tmp_path / "nope.md"
    result = run_specbot("run", str(missing), "--repo", str(repo), env=model_env(tmp_path, None))
    assert_one_line_error(result, f"{missing}: no such file")


def test_model_refusing_the_key_ends_the_run_with_the_reason(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """A model error (401: wrong key) ends the run with exit 1 and the model's message."""
    server = start_scripted_model({"api_key": "another-key", "turns": []})
    try:
        env = model_env(tmp_path / "data", server)
        result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
    finally:
        server.stop()
    assert result.returncode == 1, result.stderr
    assert "NOT done: no plan: 401 authentication_error" in result.stdout
    assert "specbot/" not in git(repo, "branch", "--list")


def test_run_budget_stops_the_implementer_and_says_so(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """With SPECBOT_RUN_MAX_TOKENS spent by the planner, the implementer never starts: exit 1
    and the budget named; nothing was changed, so no branch."""
    env = model_env(tmp_path / "data", model) | {"SPECBOT_RUN_MAX_TOKENS": "100"}
    result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
    assert result.returncode == 1, result.stderr
    assert "NOT done: the implementer stopped early (budget_exceeded" in result.stdout
    assert "branch:  none created" in result.stdout
    assert model_requests(model) == 1


def test_invalid_configuration_exits_2_naming_its_line(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A configuration with an unknown key is a usage error naming the file and line."""
    config = tmp_path / "specbot.yml"
    config.write_text("workspace:\n  tset: pytest\n", encoding="utf-8")
    env = model_env(tmp_path / "data", model)
    result = run_specbot("run", str(SPEC), "--repo", str(repo), "--config", str(config), env=env)
    assert_one_line_error(result, f"{config}:2: workspace.tset: unknown key")
    assert model_requests(model) == 0


def test_repository_configuration_at_the_base_commit_applies(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """`.github/specbot.yml` committed at the base commit applies: its gate promotes the
    missing performance target (a warning by default) to an error, so the spec is not ready."""
    spec = tmp_path / "no-target.md"
    text = SPEC.read_text(encoding="utf-8").replace(", within 1 ms per call", "")
    spec.write_text(text, encoding="utf-8")
    (repo / ".github").mkdir()
    (repo / ".github" / "specbot.yml").write_text("gate:\n  promote: [CMP-006]\n", encoding="utf-8")
    git(repo, "add", ".github/specbot.yml")
    git(repo, "commit", "--quiet", "-m", "specbot configuration")
    env = model_env(tmp_path / "data", model)
    result = run_specbot("run", str(spec), "--repo", str(repo), env=env)
    assert result.returncode == 1, result.stderr
    assert "error     CMP-006" in result.stdout
    assert model_requests(model) == 0


def test_failed_setup_stops_before_any_model_call(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A configured setup command that fails ends the run (exit 1, the command named) before
    the planner; with --keep-checkout the private checkout is kept and its path printed."""
    config = tmp_path / "specbot.yml"
    config.write_text("workspace:\n  setup: 'exit 3'\n  test: pytest\n", encoding="utf-8")
    env = model_env(tmp_path / "data", model)
    result = run_specbot(
        "run", str(SPEC), "--repo", str(repo), "-c", str(config), "--keep-checkout", env=env
    )
    assert result.returncode == 1, result.stderr
    assert "NOT done: setup failed: the setup command `exit 3` exited 3" in result.stdout
    assert "✗ setup (" in result.stderr
    assert model_requests(model) == 0
    kept = result.stdout.split("checkout kept at ", 1)[1].splitlines()[0]
    assert (Path(kept) / "calc" / "ops.py").is_file()
    assert "specbot/" not in git(repo, "branch", "--list")


def test_interrupt_keeps_the_work_and_says_where(repo: Path, tmp_path: Path) -> None:
    """Ctrl-C during the planner: exit 130, one line naming the folder that keeps the work,
    and the user's repository without a new branch."""
    server = start_scripted_model(
        {"turns": [{"when": {"role": "Role: planner"}, "latency": 30, "reply": [{"text": "."}]}]}
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), **model_env(tmp_path / "data", server)}
    command = [sys.executable, "-m", "bot", "run", str(SPEC), "--repo", str(repo)]
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        ) as process:
            assert process.stderr is not None
            for line in process.stderr:
                if line.startswith("… plan"):
                    break
            process.send_signal(signal.SIGINT)
            stderr = process.stderr.read()
            assert process.wait(timeout=30) == 130
    finally:
        server.stop()
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("specbot run: interrupted: the work so far is in ")
    assert Path(last.rsplit(" ", 1)[1], "checkout", "calc", "ops.py").is_file()
    assert "specbot/" not in git(repo, "branch", "--list")


def test_a_proxy_answering_html_ends_the_run_with_exit_1_and_one_reason(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """A 200 whose body is an HTML page (a proxy in the way) is a model error, not a crash:
    exit 1 naming what came back, never the internal-error exit 3 or a traceback."""
    server = RawServer()
    server.answer((200, "text/html", b"<html><body>Access denied by proxy</body></html>"))
    try:
        env = {
            "ANTHROPIC_BASE_URL": server.base_url,
            "ANTHROPIC_API_KEY": API_KEY,
            "SPECBOT_DATA_DIR": str(tmp_path / "data"),
            "SPECBOT_WORKSPACE_VENV": sys.prefix,
            "SPECBOT_MODEL_MAX_ATTEMPTS": "1",
        }
        result = run_specbot("run", str(SPEC), "--repo", str(repo), env=env)
    finally:
        server.stop()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "NOT done: no plan:" in result.stdout
    assert "a body that is not a message: '<html><body>Access denied by proxy" in result.stdout
    assert server.served >= 1
