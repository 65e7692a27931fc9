"""A real ``specbot serve`` process SIGKILLed while the implementer works, then started again
with the same executor id and database: the run resumes and every effect happens once."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.localhub import RunningHub, start_localhub
from bot.offline import APP_ID, WEBHOOK_SECRET
from bot.scripted import ScriptedModelServer, start_scripted_model
from tests.conftest import ROOT
from tests.flows.stack_fixtures import (
    NEW_SIZES,
    READY_SPEC,
    REPO,
    implement_script,
    seed,
    wait_for,
)

pytestmark = pytest.mark.slow

EXECUTOR_ID = "crash-test-worker"
SLOW_IMPLEMENTER_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _slow_first_implementer(script: dict[str, Any]) -> dict[str, Any]:
    """The implementer's first answer hangs (the worker is killed meanwhile); later ones do not."""
    first = next(turn for turn in script["turns"] if turn["name"] == "implement-code")
    slow = {**first, "name": "implement-slow", "latency": SLOW_IMPLEMENTER_SECONDS, "times": 1}
    script["turns"].insert(0, slow)
    return script


class App:
    """``specbot serve`` in a subprocess, configured only through its environment."""

    def __init__(self, environment: dict[str, str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._ready, timeout=60, what="specbot serve to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"specbot serve exited with {self.process.returncode}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    def kill(self) -> None:
        """SIGKILL: no drain, no clean-up, the run is left mid-stage."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> int:
        """SIGTERM and wait: the clean shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self._log.close()
        return code


@pytest.fixture
def services(tmp_path: Path, app_key_pem: Path) -> Iterator[tuple[RunningHub, ScriptedModelServer]]:
    """localhub over the usual seed and the scripted model with a slow first implementer."""
    hub = start_localhub(seed(tmp_path, app_key_pem))
    model = start_scripted_model(_slow_first_implementer(implement_script()))
    yield hub, model
    model.stop()
    hub.stop()


def _environment(
    hub: RunningHub, model: ScriptedModelServer, tmp_path: Path, key: Path
) -> dict[str, str]:
    data = tmp_path / "app-data"  # made by specbot serve
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "PYTHONPATH": str(ROOT),
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_PRIVATE_KEY_PATH": str(key),
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_API_URL": hub.api_url,
        "SPECBOT_GITHUB_PACE_WRITES": "false",
        "ANTHROPIC_API_KEY": "scripted-model-key",
        "ANTHROPIC_BASE_URL": model.base_url,
        "SPECBOT_DATA_DIR": str(data),
        "SPECBOT_DATABASE_URL": f"sqlite:///{data / 'specbot.sqlite'}",
        "SPECBOT_EXECUTOR_ID": EXECUTOR_ID,
        "SPECBOT_APP_VERSION": "crash-test",
        "SPECBOT_WORKSPACE_VENV": sys.prefix,
    }


def _own_comments(hub: RunningHub, issue: int) -> list[dict[str, Any]]:
    comments = hub.state()["issue_comments"].values()
    return [c for c in comments if c["number"] == issue and c["user"] == "specbot[bot]"]


def _turns(model: ScriptedModelServer) -> list[str]:
    return [entry.turn or "" for entry in model.log.entries(path="/v1/messages")]


def test_a_worker_killed_in_the_implementer_resumes_without_duplicates(
    services: tuple[RunningHub, ScriptedModelServer], tmp_path: Path, app_key_pem: Path
) -> None:
    """SIGKILLed while the implementer waits for the model, the App started again with the
    same executor id and database resumes the run at the implementer (gate and plan are not
    redone) and ends with one tracking comment, one commit, one PR, one review and one
    completed check run."""
    from github import Auth, Github

    hub, model = services
    environment = _environment(hub, model, tmp_path, app_key_pem)
    port = _free_port()
    log = tmp_path / "serve.log"
    app = App(environment, port, log)
    try:
        hub.set_app_webhook(APP_ID, f"{app.url}/webhook", WEBHOOK_SECRET)
        issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.label(REPO, issue, ["spec"], as_user="alice")
        wait_for(
            lambda: any("**implement** running" in c["body"] for c in _own_comments(hub, issue)),
            what="the tracking comment to show the implementer running",
        )
        wait_for(lambda: "implement-slow" in _turns(model), what="the implementer's request")
        app.kill()
        assert "implement-code" not in _turns(model)

        app = App(environment, port, log)
        gh = Github(base_url=hub.api_url, auth=Auth.Token("ghp_alice"), seconds_between_writes=0)
        repo = gh.get_repo(REPO)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        commit = repo.get_commit(pull.head.sha)
        check = wait_for(
            lambda: next(
                (
                    c
                    for c in commit.get_check_runs(check_name="specbot/review")
                    if c.status == "completed"
                ),
                None,
            ),
            what="the review's check run",
        )
        assert app.stop() == 0
    finally:
        app.kill()

    assert check.conclusion == "success"
    assert repo.get_pulls(state="all").totalCount == 1
    commits = list(pull.get_commits())
    assert len(commits) == 1
    assert f"Specbot-Run: spec:{REPO}#{issue}:" in commits[0].commit.message
    content = repo.get_contents("widgets/sizes.py", ref=pull.head.ref)
    assert not isinstance(content, list) and content.decoded_content.decode() == NEW_SIZES
    assert len(list(pull.get_reviews())) == 1
    assert len(list(commit.get_check_runs(check_name="specbot/review"))) == 1
    comments = _own_comments(hub, issue)
    assert len(comments) == 1 and "specbot:tracking" in comments[0]["body"]
    assert f"#{pull.number}" in comments[0]["body"]
    turns = _turns(model)
    assert turns.count("plan") == 1, turns  # the finished stages were not redone
    assert turns.count("implement-slow") == 1 and turns.count("implement-code") == 1, turns
    eyes = [r for r in hub.state()["reactions"].values() if r["number"] == issue]
    assert len(eyes) == 1


def test_a_worker_killed_after_posting_its_review_posts_no_second_one(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """SIGKILLed after the review was posted but before its stage was recorded (GitHub holds
    the check run's completion): the first start of a stage skips the look-up for an earlier
    effect, the second start looks, so the restarted App completes the check run and the pull
    request still has one review."""
    from github import Auth, Github

    hub = start_localhub(seed(tmp_path, app_key_pem))
    model = start_scripted_model(implement_script())
    environment = _environment(hub, model, tmp_path, app_key_pem)
    port = _free_port()
    app = App(environment, port, tmp_path / "serve.log")
    try:
        hub.set_app_webhook(APP_ID, f"{app.url}/webhook", WEBHOOK_SECRET)
        hub.add_fault({"pattern": "PATCH /api/v3/repos/*/check-runs/*", "latency_ms": 60_000})
        issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.label(REPO, issue, ["spec"], as_user="alice")
        gh = Github(base_url=hub.api_url, auth=Auth.Token("ghp_alice"), seconds_between_writes=0)
        repo = gh.get_repo(REPO)
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        wait_for(lambda: list(pull.get_reviews()), timeout=120, what="the review")
        app.kill()
        hub.clear_faults()

        app = App(environment, port, tmp_path / "serve.log")
        commit = repo.get_commit(pull.head.sha)
        wait_for(
            lambda: any(
                c.status == "completed" for c in commit.get_check_runs(check_name="specbot/review")
            ),
            timeout=120,
            what="the review's check run to complete",
        )
        assert app.stop() == 0
        checks = [c.status for c in commit.get_check_runs(check_name="specbot/review")]
        reviews = list(pull.get_reviews())
    finally:
        app.kill()
        model.stop()
        hub.stop()
    assert checks == ["completed"]
    assert len(reviews) == 1, [r.id for r in reviews]


def _kept_members(data: Path) -> list[str]:
    """The review members whose results the engine kept (read from its database)."""
    database = data / "specbot.sqlite"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            rows = connection.execute("SELECT member FROM specbot_member_results").fetchall()
        except sqlite3.OperationalError:  # the table is not made yet
            return []
    return sorted(str(row[0]) for row in rows)


def test_a_worker_killed_mid_review_runs_only_the_unfinished_reviewer_again(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """SIGKILLed while one reviewer waits for the model and the others have finished, the
    restarted App runs that reviewer alone: every other reviewer made one model call, and the
    pull request gets one review."""
    from github import Auth, Github

    script = implement_script()
    slow = next(t for t in script["turns"] if t["name"] == "style reviewer-review")
    script["turns"].insert(0, {**slow, "name": "style-slow", "latency": 30.0, "times": 1})
    hub = start_localhub(seed(tmp_path, app_key_pem))
    model = start_scripted_model(script)
    environment = _environment(hub, model, tmp_path, app_key_pem)
    port = _free_port()
    app = App(environment, port, tmp_path / "serve.log")
    others = ["correctness", "performance", "security", "spec-conformance"]
    try:
        hub.set_app_webhook(APP_ID, f"{app.url}/webhook", WEBHOOK_SECRET)
        issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")["number"]
        hub.label(REPO, issue, ["spec"], as_user="alice")
        wait_for(
            lambda: {f"{name}#1@1" for name in others}.issubset(
                _kept_members(tmp_path / "app-data")
            ),
            timeout=120,
            what="every reviewer but the slow one to finish",
        )
        assert "style-slow" in _turns(model) and "style reviewer-review" not in _turns(model)
        app.kill()

        app = App(environment, port, tmp_path / "serve.log")
        gh = Github(base_url=hub.api_url, auth=Auth.Token("ghp_alice"), seconds_between_writes=0)
        pull = next(iter(gh.get_repo(REPO).get_pulls(state="open")))
        wait_for(lambda: list(pull.get_reviews()), timeout=120, what="the review")
        assert app.stop() == 0
        reviews = list(pull.get_reviews())
    finally:
        app.kill()
        model.stop()
        hub.stop()
    turns = _turns(model)
    assert turns.count("style-slow") == 1 and turns.count("style reviewer-review") == 1, turns
    for name in others:
        assert turns.count(f"{name} reviewer-review") == 1, (name, turns)
    assert len(reviews) == 1
