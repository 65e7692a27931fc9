"""``specbot action`` end to end: a runner's environment, localhub, the scripted model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.localhub import RunningHub, start_localhub
from bot.offline import APP_ID
from bot.scripted import ScriptedModelServer, start_scripted_model
from tests.action.runner import (
    WRITE_PERMISSIONS,
    ActionRunner,
    app_token,
    example_payload,
    example_token,
    rest,
)
from tests.flows.stack_fixtures import (
    INSTALLATION_ID,
    NOT_READY_SPEC,
    READY_SPEC,
    REPO,
    implement_script,
    seed,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def hub(tmp_path: Path, app_key_pem: Path) -> Iterator[RunningHub]:
    running = start_localhub(seed(tmp_path, app_key_pem))
    yield running
    running.stop()


@pytest.fixture
def model() -> Iterator[ScriptedModelServer]:
    server = start_scripted_model(implement_script())
    yield server
    server.stop()


@pytest.fixture
def runner(hub: RunningHub, model: ScriptedModelServer, tmp_path: Path) -> ActionRunner:
    token = hub.actions_token(REPO, WRITE_PERMISSIONS)
    return ActionRunner(hub, model.base_url, REPO, tmp_path / "runner", token)


def labeled_spec(hub: RunningHub, body: str = READY_SPEC) -> dict[str, Any]:
    """alice opens a spec and labels it; GitHub's issues.labeled example about it."""
    issue = hub.open_issue(REPO, "Convert inches", body, as_user="alice")
    hub.label(REPO, issue["number"], ["spec"], as_user="alice")
    return example_payload(
        "issues",
        "labeled",
        hub,
        REPO,
        issue=rest(hub, f"/repos/{REPO}/issues/{issue['number']}"),
        label=rest(hub, f"/repos/{REPO}/labels/spec"),
        sender=rest(hub, "/users/alice"),
    )


def test_a_labeled_spec_becomes_a_reviewed_pull_request_with_summary_and_outputs(
    runner: ActionRunner, hub: RunningHub
) -> None:
    runner.token = example_token(hub, REPO, "specbot-spec.yml")  # the least the docs grant
    step = runner.run("issues", labeled_spec(hub))
    assert step.code == 0, step.stderr
    pulls = rest(hub, f"/repos/{REPO}/pulls")
    assert len(pulls) == 1
    pull = pulls[0]
    assert pull["user"]["login"] == "github-actions[bot]"
    outputs = step.outputs
    assert outputs["verdict"] == "pushed"
    assert outputs["pr_number"] == str(pull["number"])
    assert outputs["pr_url"] == pull["html_url"]
    assert outputs["run_id"].startswith(f"spec:{REPO}#")
    assert float(outputs["cost_usd"]) > 0
    assert int(outputs["input_tokens"]) > 0 and int(outputs["output_tokens"]) > 0
    reviews = rest(hub, f"/repos/{REPO}/pulls/{pull['number']}/reviews")
    assert [r["user"]["login"] for r in reviews] == ["github-actions[bot]"]
    checks = rest(hub, f"/repos/{REPO}/commits/{pull['head']['sha']}/check-runs")
    names = sorted(c["name"] for c in checks["check_runs"])
    assert names == ["specbot/criteria", "specbot/review"]
    assert "## specbot: pushed" in step.summary
    assert f"#{pull['number']}" in step.summary and "| publish | done" in step.summary
    assert_only_masked(step.stdout + step.stderr + step.summary, "sk-ant-canary-action-key")


def assert_only_masked(text: str, secret: str) -> None:
    """``secret`` appears only where the step asks the runner to mask it."""
    lines = [line for line in text.splitlines() if secret in line]
    assert lines == [f"::add-mask::{secret}"], lines


def opened_pull(hub: RunningHub, head_repo: str = REPO, as_user: str = "alice") -> dict[str, Any]:
    """A person's pull request, opened; GitHub's pull_request.opened example about it."""
    hub.push(
        head_repo,
        "feature",
        {"widgets/extra.py": "def extra():\n    return 1\n"},
        as_user=as_user,
    )
    head = "feature" if head_repo == REPO else f"{head_repo.split('/')[0]}:feature"
    pull = hub.open_pull(REPO, head, title="Add extra", body="An extra helper.", as_user=as_user)
    return example_payload(
        "pull_request",
        "opened",
        hub,
        REPO,
        number=pull["number"],
        pull_request=rest(hub, f"/repos/{REPO}/pulls/{pull['number']}"),
        sender=rest(hub, f"/users/{as_user}"),
    )


def test_an_opened_pull_request_gets_a_review_and_a_check_run(
    runner: ActionRunner, hub: RunningHub
) -> None:
    runner.token = example_token(hub, REPO, "specbot-review.yml")
    payload = opened_pull(hub)
    number = payload["number"]
    step = runner.run("pull_request", payload, mode="review")
    assert step.code == 0, step.stderr
    assert step.outputs["verdict"] in ("passed", "commented"), step.outputs
    assert step.outputs["pr_number"] == str(number)
    assert step.outputs["run_id"].startswith(f"review:{REPO}#{number}@")
    reviews = rest(hub, f"/repos/{REPO}/pulls/{number}/reviews")
    assert [r["user"]["login"] for r in reviews] == ["github-actions[bot]"]
    sha = payload["pull_request"]["head"]["sha"]
    checks = rest(hub, f"/repos/{REPO}/commits/{sha}/check-runs")["check_runs"]
    assert [(c["name"], c["app"]["slug"]) for c in checks] == [("specbot/review", "github-actions")]
    assert checks[0]["status"] == "completed"


def comment_payload(hub: RunningHub, number: int, body: str, as_user: str) -> dict[str, Any]:
    """``as_user`` comments ``body`` on ``number``; GitHub's issue_comment.created about it."""
    comment = hub.comment(REPO, number, body, as_user=as_user)
    return example_payload(
        "issue_comment",
        "created",
        hub,
        REPO,
        issue=rest(hub, f"/repos/{REPO}/issues/{number}"),
        comment=rest(hub, f"/repos/{REPO}/issues/comments/{comment['id']}"),
        sender=rest(hub, f"/users/{as_user}"),
    )


def test_a_comment_command_is_obeyed_and_a_readers_is_refused(
    runner: ActionRunner, hub: RunningHub
) -> None:
    runner.token = example_token(hub, REPO, "specbot-commands.yml")
    issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
    number = issue["number"]
    refused = runner.run("issue_comment", comment_payload(hub, number, "/specbot run", "mallory"))
    assert refused.code == 0, refused.stderr
    assert refused.outputs["verdict"] == "refused"
    assert "mallory has read access" in refused.summary
    assert rest(hub, f"/repos/{REPO}/pulls") == []
    obeyed = runner.run(
        "issue_comment", comment_payload(hub, number, "/specbot status", "alice"), mode="implement"
    )
    assert obeyed.code == 0, obeyed.stderr
    replies = [
        c["body"]
        for c in rest(hub, f"/repos/{REPO}/issues/{number}/comments")
        if c["user"]["login"] == "github-actions[bot]"
    ]
    assert any("specbot has not run here yet" in body for body in replies), replies
    assert any("Only people with write access" in body for body in replies), replies


def test_a_pull_request_from_a_fork_is_refused_with_the_reason(
    runner: ActionRunner, hub: RunningHub
) -> None:
    hub.add_repo("mallory/widgets", fork_of=REPO)
    payload = opened_pull(hub, head_repo="mallory/widgets", as_user="mallory")
    step = runner.run("pull_request", payload)
    assert step.code == 0, step.stderr
    assert step.outputs["verdict"] == "refused"
    assert "fork mallory/widgets" in step.stdout
    assert rest(hub, f"/repos/{REPO}/pulls/{payload['number']}/reviews") == []
    target = runner.run("pull_request_target", payload)
    assert target.outputs["verdict"] == "refused"
    assert "pull_request_target runs with a token that can write" in target.stdout


def test_a_spec_that_is_not_ready_succeeds_unless_the_workflow_says_otherwise(
    runner: ActionRunner, hub: RunningHub
) -> None:
    payload = labeled_spec(hub, NOT_READY_SPEC)
    step = runner.run("issues", payload, mode="gate")
    assert (step.code, step.outputs["verdict"]) == (0, "not_ready"), step.stderr
    strict = runner.run("issues", payload, mode="gate", fail_on_not_ready="true")
    assert (strict.code, strict.outputs["verdict"]) == (1, "not_ready"), strict.stderr
    assert strict.stderr.strip().endswith("the spec is not ready: the issue says what to add")


def test_a_bots_command_is_obeyed_only_when_the_workflow_allows_the_bot(
    runner: ActionRunner, hub: RunningHub
) -> None:
    hub.add_user("renovate[bot]", token="ghp_renovate")
    issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
    payload = comment_payload(hub, issue["number"], "/specbot status", "renovate[bot]")
    refused = runner.run("issue_comment", payload)
    assert refused.outputs["verdict"] == "ignored", refused.outputs
    assert "renovate[bot] is a bot that allowed_bots does not list" in refused.stdout
    allowed = runner.run("issue_comment", payload, allowed_bots="renovate[bot]")
    assert allowed.code == 0, allowed.stderr
    replies = rest(hub, f"/repos/{REPO}/issues/{issue['number']}/comments")
    assert any("specbot has not run here yet" in c["body"] for c in replies)


def test_with_an_app_token_specbot_acts_as_the_app_and_ignores_its_own_events(
    runner: ActionRunner, hub: RunningHub, app_key_pem: Path
) -> None:
    runner.token = app_token(hub, app_key_pem, APP_ID, INSTALLATION_ID)
    issue = hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
    payload = comment_payload(hub, issue["number"], "/specbot status", "alice")
    step = runner.run("issue_comment", payload, bot_login="specbot[bot]")
    assert step.code == 0, step.stderr
    mine = [
        c
        for c in rest(hub, f"/repos/{REPO}/issues/{issue['number']}/comments")
        if c["user"]["login"] == "specbot[bot]"
    ]
    assert len(mine) == 1
    own = comment_payload(hub, issue["number"], "/specbot status", "alice")
    own["sender"] = mine[0]["user"]
    ignored = runner.run("issue_comment", own, bot_login="specbot[bot]")
    assert ignored.outputs["verdict"] == "ignored"
    assert "caused by specbot itself" in ignored.stdout
