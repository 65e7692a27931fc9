"""The job's time limit: a stopped step pushes its work; ``/specbot retry`` continues it."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.branches import issue_branch_prefix
from bot.localhub import RunningHub, start_localhub
from bot.scripted import ScriptedModelServer, start_scripted_model
from tests.action.runner import WRITE_PERMISSIONS, ActionRunner, StepRun, rest, wait_until
from tests.action.test_action_flows import comment_payload, labeled_spec, opened_pull
from tests.flows.stack_fixtures import REPO, implement_script, seed

pytestmark = pytest.mark.slow


def _stalling_script() -> dict[str, Any]:
    """The implementer writes the code, then its next call hangs (the job is stopped then);
    a continued implementer first looks at the file the first one wrote."""
    script = implement_script()
    turns = script["turns"]
    tests_turn = next(turn for turn in turns if turn["name"] == "implement-tests")
    stall = {**copy.deepcopy(tests_turn), "name": "implement-stall", "latency": 120.0}
    turns.insert(turns.index(tests_turn), stall)
    look = {
        "name": "continue-look",
        "times": 1,
        "when": {"role": "Role: implementer", "turn": 0},
        "reply": [
            {
                "tool_use": {
                    "name": "str_replace_based_edit_tool",
                    "input": {"command": "view", "path": "widgets/sizes.py"},
                }
            }
        ],
    }
    turns.insert(turns.index(tests_turn) + 1, look)
    return script


@pytest.fixture
def stack(tmp_path: Path, app_key_pem: Path) -> Iterator[tuple[RunningHub, ScriptedModelServer]]:
    hub = start_localhub(seed(tmp_path, app_key_pem))
    model = start_scripted_model(_stalling_script())
    yield hub, model
    model.stop()
    hub.stop()


def _requests(model: ScriptedModelServer) -> list[Any]:
    return list(model.log.entries(path="/v1/messages"))


def _planner_calls(model: ScriptedModelServer) -> int:
    return sum("Role: planner" in str(entry.body) for entry in _requests(model))


def _stopped_mid_implementation(
    hub: RunningHub, model: ScriptedModelServer, tmp_path: Path
) -> tuple[ActionRunner, int, StepRun]:
    """A spec's job, stopped as the runner stops it while the implementer's call hangs."""
    token = hub.actions_token(REPO, WRITE_PERMISSIONS)
    runner = ActionRunner(hub, model.base_url, REPO, tmp_path / "runner", token)
    payload = labeled_spec(hub)
    process, job = runner.start("issues", payload)
    # plan, the implementer's first turn, and the one that hangs
    wait_until(lambda: len(_requests(model)) >= 3, timeout=120)
    return runner, payload["issue"]["number"], runner.stop(process, job)


def test_a_stopped_job_pushes_its_work_and_a_retry_continues_it(
    stack: tuple[RunningHub, ScriptedModelServer], tmp_path: Path
) -> None:
    hub, model = stack
    runner, number, stopped = _stopped_mid_implementation(hub, model, tmp_path)
    assert stopped.code == 1, stopped.stderr
    assert stopped.outputs["verdict"] == "interrupted"
    branches = [b["name"] for b in rest(hub, f"/repos/{REPO}/branches")]
    branch = next(name for name in branches if name.startswith(issue_branch_prefix(number)))
    sizes = rest(hub, f"/repos/{REPO}/contents/widgets/sizes.py?ref={branch}")
    assert "inches_to_mm" in base64.b64decode(sizes["content"]).decode()
    assert rest(hub, f"/repos/{REPO}/pulls") == []
    tracking = [
        c["body"]
        for c in rest(hub, f"/repos/{REPO}/issues/{number}/comments")
        if "specbot:tracking" in c["body"]
    ]
    assert "/specbot retry" in tracking[-1] and "continue" in tracking[-1], tracking[-1]

    planned = _planner_calls(model)
    retry = runner.run("issue_comment", comment_payload(hub, number, "/specbot retry", "alice"))
    assert retry.code == 0, retry.stderr
    assert retry.outputs["verdict"] == "pushed", retry.outputs
    assert _planner_calls(model) == planned  # the gate and the plan stood
    pull = rest(hub, f"/repos/{REPO}/pulls")[0]
    files = {item["filename"] for item in rest(hub, f"/repos/{REPO}/pulls/{pull['number']}/files")}
    assert files == {"widgets/sizes.py", "tests/test_inches.py"}


def test_without_the_database_a_retry_starts_cleanly_from_the_pushed_branch(
    stack: tuple[RunningHub, ScriptedModelServer], tmp_path: Path
) -> None:
    hub, model = stack
    runner, number, stopped = _stopped_mid_implementation(hub, model, tmp_path)
    assert stopped.outputs["verdict"] == "interrupted"
    planned = _planner_calls(model)
    retry = runner.run(
        "issue_comment",
        comment_payload(hub, number, "/specbot retry", "alice"),
        temp_name="a-new-runner",
    )
    assert retry.code == 0, retry.stderr
    assert _planner_calls(model) == planned + 1
    assert retry.outputs["verdict"] == "pushed", retry.outputs


def test_a_review_stopped_midway_posts_nothing_and_never_passes_its_check(
    tmp_path: Path, app_key_pem: Path
) -> None:
    hub = start_localhub(seed(tmp_path, app_key_pem))
    script = implement_script()
    for turn in script["turns"]:
        if turn["name"].endswith("reviewer-review"):
            turn["latency"] = 120.0
    model = start_scripted_model(script)
    try:
        token = hub.actions_token(REPO, WRITE_PERMISSIONS)
        runner = ActionRunner(hub, model.base_url, REPO, tmp_path / "runner", token)
        payload = opened_pull(hub)
        process, job = runner.start("pull_request", payload, mode="review")
        wait_until(lambda: len(_requests(model)) >= 1, timeout=120)
        step = runner.stop(process, job)
        sha = payload["pull_request"]["head"]["sha"]
        checks = rest(hub, f"/repos/{REPO}/commits/{sha}/check-runs")["check_runs"]
        reviews = rest(hub, f"/repos/{REPO}/pulls/{payload['number']}/reviews")
    finally:
        model.stop()
        hub.stop()
    assert (step.code, step.outputs["verdict"]) == (1, "interrupted"), step.stderr
    assert [(c["status"], c["conclusion"]) for c in checks] == [("completed", "cancelled")]
    assert reviews == []


def test_a_restored_database_resumes_a_killed_run_but_reports_only_this_event(
    stack: tuple[RunningHub, ScriptedModelServer], tmp_path: Path
) -> None:
    hub, model = stack
    runner = ActionRunner(
        hub, model.base_url, REPO, tmp_path / "runner", hub.actions_token(REPO, WRITE_PERMISSIONS)
    )
    spec = labeled_spec(hub)
    process, _job = runner.start("issues", spec)
    wait_until(lambda: len(_requests(model)) >= 3, timeout=120)
    process.kill()  # the runner's last resort: no grace, the run is left mid-stage
    process.communicate()
    other = hub.open_issue(REPO, "Something else", "Just a question.", as_user="alice")
    step = runner.run(
        "issue_comment",
        comment_payload(hub, other["number"], "/specbot status", "alice"),
        env={"SPECBOT_ACTION_GRACE_SECONDS": "1"},
    )
    assert step.code == 0, step.stderr
    assert step.outputs["verdict"] == "handled", step.outputs
    assert step.outputs["run_id"] == "" and step.outputs["pr_number"] == ""
    assert "Resumed from the restored database" in step.summary
    assert f"spec:{REPO}#{spec['issue']['number']}:" in step.summary
