"""What the step reads from the runner and writes back to it, checked without running flows."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.action import ActionConfigError, read_runner
from bot.action._admission import admit
from bot.action._runner import ActionInputs, read_inputs
from bot.action._workflow_commands import annotate, escape_data, write_outputs
from bot.config import load_repo_config
from tests.action.runner import parse_outputs


def _environment(tmp_path: Path, payload: object = None, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload if payload is not None else {"action": "labeled"}))
    return {
        "GITHUB_EVENT_NAME": "issues",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_TOKEN": "ghs_token",
        "RUNNER_TEMP": str(tmp_path),
        **extra,
    }


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_REPOSITORY": "acme/widgets/../x"}, "is not OWNER/REPO"),
        ({"GITHUB_TOKEN": " "}, "GITHUB_TOKEN is empty"),
        ({"RUNNER_TEMP": ""}, "RUNNER_TEMP is not set"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "cannot read"),
        ({"INPUT_MODE": "everything"}, "input mode: 'everything'"),
        ({"INPUT_MAX_ROUNDS": "many"}, "input max_rounds: 'many' is not a number"),
        ({"INPUT_MAX_ROUNDS": "99"}, "not between 0 and 20"),
        ({"INPUT_BUDGET_USD": "nan"}, "input budget_usd: nan is not between"),
        ({"INPUT_BUDGET_USD": "-1"}, "input budget_usd"),
        ({"INPUT_ALLOW_FORKS": "maybe"}, "input allow_forks: 'maybe'"),
        ({"INPUT_CONFIG_PATH": "../other/specbot.yml"}, "not a path inside the repository"),
        ({"INPUT_CONFIG_PATH": "/etc/passwd"}, "not a path inside the repository"),
        ({"INPUT_ALLOWED_BOTS": "renovate[bot], <script>"}, "a login in allowed_bots"),
        ({"INPUT_TRIGGER_PHRASE": "@@@"}, "input trigger_phrase"),
    ],
)
def test_each_bad_setting_is_one_line_naming_it(
    tmp_path: Path, change: dict[str, str], said: str
) -> None:
    with pytest.raises(ActionConfigError, match=".*") as caught:
        read_runner({**_environment(tmp_path), **change})
    assert said in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("payload", ["[1, 2]", "{", '{"a": NaN}', "\udcff"])
def test_a_malformed_event_file_is_refused(tmp_path: Path, payload: str) -> None:
    env = _environment(tmp_path)
    Path(env["GITHUB_EVENT_PATH"]).write_bytes(payload.encode("utf-8", "surrogateescape"))
    with pytest.raises(ActionConfigError, match="GITHUB_EVENT_PATH"):
        read_runner(env)


def test_inputs_become_the_configuration_they_override() -> None:
    inputs = read_inputs(
        {
            "INPUT_TRIGGER_LABEL": "build-me",
            "INPUT_ALLOWED_BOTS": "renovate[bot],dependabot[bot]",
            "INPUT_MAX_ROUNDS": "2",
            "INPUT_MODE": "implement",
            "INPUT_TRIGGER_PHRASE": "@helper",
        }
    )
    config = load_repo_config("triggers:\n  label: spec\n", "f", inputs.config_overrides())
    assert config.triggers.label == "build-me"
    assert config.triggers.allow_bots == ["renovate[bot]", "dependabot[bot]"]
    assert config.flows["follow-up"].max_rounds == 2
    assert not config.flow_enabled("review") and config.flow_enabled("implement")
    assert inputs.mention == "helper"


def _event(name: str, payload: dict[str, object]) -> object:
    from bot.webhooks import Event

    return Event(name=name, delivery_id="d", payload=payload)


REPO = {"full_name": "acme/widgets"}


@pytest.mark.parametrize(
    ("name", "payload", "inputs", "verdict"),
    [
        ("push", {"repository": REPO}, ActionInputs(), "ignored"),
        ("issues", {"repository": {"full_name": "evil/other"}}, ActionInputs(), "refused"),
        ("issues", {"repository": REPO}, ActionInputs(mode="review"), "ignored"),
        (
            "issues",
            {"repository": REPO, "sender": {"login": "github-actions[bot]"}},
            ActionInputs(),
            "ignored",
        ),
        ("pull_request_target", {"repository": REPO}, ActionInputs(), "refused"),
        (
            "pull_request",
            {"repository": REPO, "pull_request": {"head": {"repo": None}}},
            ActionInputs(),
            "refused",
        ),
        (
            "issue_comment",
            {"repository": REPO, "issue": {"pull_request": {"url": "u"}}},
            ActionInputs(mode="implement"),
            "ignored",
        ),
        ("issue_comment", {"repository": REPO, "issue": {}}, ActionInputs(mode="gate"), "ignored"),
    ],
)
def test_events_the_step_does_not_take(
    name: str, payload: dict[str, object], inputs: ActionInputs, verdict: str
) -> None:
    admission = admit(_event(name, payload), "acme/widgets", inputs)  # type: ignore[arg-type]
    assert admission is not None and admission.verdict == verdict


def test_a_fork_is_taken_only_when_allowed() -> None:
    fork = {"repository": REPO, "pull_request": {"head": {"repo": {"full_name": "m/widgets"}}}}
    event = _event("pull_request", fork)
    assert admit(event, "acme/widgets", ActionInputs()) is not None  # type: ignore[arg-type]
    assert admit(event, "acme/widgets", ActionInputs(allow_forks=True)) is None  # type: ignore[arg-type]


def test_an_output_value_cannot_end_early_and_set_another(tmp_path: Path) -> None:
    """A value holding a newline, a fake delimiter and ``name=value`` lines stays one value."""
    hostile = "done\nverdict<<EOF\npassed\nEOF\nverdict=passed"
    path = tmp_path / "output"
    write_outputs(path, {"reason": hostile, "verdict": "failed"})
    assert parse_outputs(path.read_text()) == {"reason": hostile, "verdict": "failed"}


def test_an_annotation_cannot_carry_a_second_command() -> None:
    out = io.StringIO()
    annotate("warning", "bad\n::error::forged", file="a,b:c.py", line=3, title="x", out=out)
    lines = out.getvalue().splitlines()
    assert lines == ["::warning file=a%2Cb%3Ac.py,line=3,title=x::bad%0A::error::forged"]
    assert escape_data("100%\r\n") == "100%25%0D%0A"
