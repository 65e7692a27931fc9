"""``specbot review`` end to end: a real git diff, the scripted reviewers over HTTP, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.scripted import ScriptedModelServer, start_scripted_model
from tests.cli.local_repos import DATA, SUBTRACT, git, make_calc_repo, model_env, model_requests
from tests.conftest import ROOT, RunSpecbot

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "review.schema.json").read_text(encoding="utf-8"))
SHELL_RUNNER = (
    "import subprocess\n\n\ndef run(command):\n    return subprocess.call(command, shell=True)\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The calc repository with branch ``feature``: subtract added to calc/ops.py, checked out."""
    path = make_calc_repo(tmp_path)
    git(path, "checkout", "--quiet", "-b", "feature")
    with (path / "calc" / "ops.py").open("a", encoding="utf-8") as ops:
        ops.write(SUBTRACT)
    git(path, "commit", "--quiet", "--all", "-m", "calc: subtract")
    return path


@pytest.fixture
def model() -> Iterator[ScriptedModelServer]:
    """The scripted security and style reviewers of ``data/review-script.yaml``."""
    server = start_scripted_model(DATA / "review-script.yaml")
    yield server
    server.stop()


def review(
    run_specbot: RunSpecbot, repo: Path, env: dict[str, str], *arguments: str
) -> Any:  # CompletedProcess
    """``specbot review --repo REPO --base main`` with the security and style reviewers."""
    return run_specbot(
        "review", "--repo", str(repo), "--base", "main", "--no-analysers", *arguments, env=env
    )


def test_findings_are_shown_on_diff_lines_or_outside_the_diff(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """Text output groups findings by file: a finding quoting added code is on the quoted line
    (the reviewer miscounted it), an unquoted one outside its file's hunks on the nearest diff
    line, the README's outside the diff; a major finding requests changes (exit 1)."""
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "security,style")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "specbot review main...HEAD: 3 finding(s), changes requested" in out
    assert "calc/ops.py (+6 -0)" in out
    ops = out.index("\ncalc/ops.py\n")
    readme = out.index("\nREADME.md\n")
    quoted = out.index("line 15 (miscounted; its quoted code is on diff line 16) major security")
    moved = out.index("line 1 (outside the diff; nearest diff line 10) minor docs [security]")
    outside = out.index("line 1 (outside the diff) minor docs [security]")
    assert readme < outside < ops < moved < quoted
    assert "subtract accepts booleans" in out
    assert "reviewers: security (reviewed, 3 finding(s)), style (reviewed, 0 finding(s))" in out
    assert model_requests(model) == 2
    assert "✓ review (" in result.stderr


def test_json_output_follows_the_schema(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """`--format json` validates against docs/schemas/review.schema.json, with placements."""
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "security,style", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["verdict"] == "request_changes"
    assert data["head"] == git(repo, "rev-parse", "HEAD").strip()
    assert data["files"] == [
        {"path": "calc/ops.py", "status": "modified", "additions": 6, "deletions": 0}
    ]
    placed = {(f["path"], f["line"]): (f["placement"], f["diff_line"]) for f in data["findings"]}
    assert placed == {
        ("calc/ops.py", 15): ("moved", 16),
        ("calc/ops.py", 1): ("moved", 10),
        ("README.md", 1): ("outside_diff", None),
    }
    assert data["usage"]["calls"] == 2


def test_markdown_output_is_the_review_as_posted(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """`--format markdown` shows the review body, then each inline comment under its line."""
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "security", "--format", "markdown")
    assert result.returncode == 1
    out = result.stdout
    assert "#### Findings outside the diff" in out
    assert out.index("**`README.md` line 1**") < out.index("### `calc/ops.py` line 16")
    assert "### `calc/ops.py` line 10" in out
    assert "_Reported on line 1, outside the diff; shown here._" in out
    assert "_Reported on line 15; placed on the code it quotes._" in out


def test_no_blocking_finding_exits_0(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A reviewer with no findings: exit 0, and the verdict says nothing blocks."""
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "style")
    assert result.returncode == 0, result.stderr
    assert "0 finding(s), no blocking finding" in result.stdout
    assert model_requests(model) == 1


def test_analysers_alone_need_no_model(run_specbot: RunSpecbot, repo: Path, tmp_path: Path) -> None:
    """`--no-model` runs the analysers only: bandit's shell=True finding on the added line
    requests changes, without any model configured."""
    (repo / "calc" / "shell.py").write_text(SHELL_RUNNER, encoding="utf-8")
    git(repo, "add", "calc/shell.py")
    git(repo, "commit", "--quiet", "-m", "calc: run commands")
    env = model_env(tmp_path / "data", None)
    result = run_specbot(
        "review", "--repo", str(repo), "--base", "main", "--no-model", "-f", "json", env=env
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    shell = [f for f in data["findings"] if "bandit" in f["reviewers"] and f["line"] == 5]
    assert [(f["path"], f["severity"], f["placement"]) for f in shell] == [
        ("calc/shell.py", "major", "on_diff")
    ]
    assert data["verdict"] == "request_changes"
    assert data["usage"]["calls"] == 0


def test_a_failed_reviewer_is_reported_once_and_a_skipped_analyser_says_why(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """A reviewer's 400 appears once in all the output (under "incomplete:"); stderr names
    the member; semgrep's "skipped" carries its reason; each analyser's count matches the
    findings that name it."""
    (repo / "calc" / "shell.py").write_text(SHELL_RUNNER, encoding="utf-8")
    git(repo, "add", "calc/shell.py")
    git(repo, "commit", "--quiet", "-m", "calc: run commands")
    message = "prompt is too long for this test"
    failing = {"turns": [{"when": {}, "fault": {"status": 400, "message": message}}]}
    server = start_scripted_model(failing)
    try:
        env = model_env(tmp_path / "data", server)
        result = run_specbot(
            "review", "--repo", str(repo), "--base", "main", "--reviewers", "security", env=env
        )
    finally:
        server.stop()
    assert result.returncode == 1, result.stderr
    assert (result.stdout + result.stderr).count(message) == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "specbot review: incomplete: security did not finish"
    )
    members = result.stdout.split("\nreviewers: ", 1)[1].splitlines()[0]
    assert "security (failed, 0 finding(s))" in members
    assert "semgrep (skipped: " in members and "semgrep (skipped, " not in members
    shown = result.stdout.count("[bandit]") + result.stdout.count(", bandit]")
    assert f"bandit (ok, {shown} finding(s))" in members, result.stdout


def test_no_changes_exit_0_without_model_calls(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """Comparing a commit with itself reviews nothing and asks no model."""
    env = model_env(tmp_path / "data", model)
    result = run_specbot("review", "--repo", str(repo), "--base", "HEAD", env=env)
    assert result.returncode == 0, result.stderr
    assert "0 file(s) changed: none" in result.stdout
    assert model_requests(model) == 0


def test_user_checkout_is_left_as_it_was(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """The review reads an exported copy: the user's branch, files and git state are unchanged."""
    (repo / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = (
        git(repo, "status", "--porcelain"),
        git(repo, "for-each-ref"),
        git(repo, "stash", "list"),
    )
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "style")
    assert result.returncode == 0, result.stderr
    assert "uncommitted changes are not reviewed" in result.stderr
    after = (
        git(repo, "status", "--porcelain"),
        git(repo, "for-each-ref"),
        git(repo, "stash", "list"),
    )
    assert after == before
    assert not list((tmp_path / "data").glob("review-*"))  # the exported copy is removed


def assert_one_line_error(result: Any, fragment: str) -> None:
    """Exit 2 with one line on stderr naming the problem, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--base", "nope"], "'nope' is not a commit"),
        (["--base", "main", "--head", "nope"], "'nope' is not a commit"),
        (["--base", "main", "--reviewers", "security,poet"], "unknown reviewer 'poet'"),
        (["--base", "main", "--reviewers", " , "], "--reviewers names no reviewer"),
        (["--base", "main", "--no-model", "--no-analysers"], "nothing to run"),
        (["--base", "main", "--spec", "missing.md"], "missing.md: no such file"),
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
    """Bad refs, reviewers or files: exit 2, one line on stderr, no model request."""
    env = model_env(tmp_path / "data", model)
    result = run_specbot("review", "--repo", str(repo), *arguments, env=env, cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert model_requests(model) == 0


def test_no_model_configured_exits_2_and_points_to_no_model(
    run_specbot: RunSpecbot, repo: Path, tmp_path: Path
) -> None:
    """Model reviewers without ANTHROPIC_API_KEY: one line naming it and `--no-model`."""
    result = run_specbot(
        "review", "--repo", str(repo), "--base", "main", env=model_env(tmp_path, None)
    )
    assert_one_line_error(result, "ANTHROPIC_API_KEY")
    assert "--no-model" in result.stderr


def test_not_a_repository_exits_2(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A folder outside any git repository is a usage error."""
    result = run_specbot(
        "review", "--repo", str(tmp_path), "--base", "main", env=model_env(tmp_path, None)
    )
    assert_one_line_error(result, "not a git repository")


def test_unrelated_histories_exit_2(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """A base that shares no history with head cannot be diffed like a pull request: exit 2."""
    git(repo, "checkout", "--quiet", "--orphan", "elsewhere")
    git(repo, "commit", "--quiet", "-m", "an unrelated root")
    env = model_env(tmp_path / "data", model)
    result = run_specbot(
        "review", "--repo", str(repo), "--base", "elsewhere", "--head", "feature", env=env
    )
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert "specbot review: git diff failed" in result.stderr.splitlines()[-1]
    assert model_requests(model) == 0


def test_without_a_spec_the_spec_conformance_reviewer_is_not_run(
    run_specbot: RunSpecbot, repo: Path, model: ScriptedModelServer, tmp_path: Path
) -> None:
    """No spec to check against: no request for the spec-conformance reviewer, and the
    summary says it was not run and why."""
    env = model_env(tmp_path / "data", model)
    result = review(run_specbot, repo, env, "--reviewers", "style,spec-conformance")
    assert result.returncode == 0, result.stderr
    assert "spec-conformance (not run: no spec, 0 finding(s))" in result.stdout
    bodies = [json.dumps(entry.body) for entry in model.log.entries()]
    assert any("Role: style reviewer" in body for body in bodies)
    assert not any("Role: spec-conformance" in body for body in bodies)
