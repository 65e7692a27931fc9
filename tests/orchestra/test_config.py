"""The team configuration (agents, flows) and the ``specbot config`` command."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from bot.config import ConfigError, RepoConfig, load_repo_config
from bot.orchestra.config import DEFAULT_AGENTS, DEFAULT_FLOWS, TeamConfig
from tests.conftest import RunSpecbot


def test_an_empty_file_gives_the_standard_team() -> None:
    """With nothing configured, every default agent and flow is there and consistent."""
    config = TeamConfig.model_validate({})
    assert set(config.agents) == set(DEFAULT_AGENTS)
    assert set(config.flows) == set(DEFAULT_FLOWS)
    assert [config.flows[name].pattern for name in ("implement", "review", "follow-up")] == [
        "pipeline",
        "swarm",
        "pipeline",
    ]


def test_repository_entries_merge_over_the_defaults() -> None:
    """A partial entry changes only its fields; null removes a default; new entries are added."""
    config = TeamConfig.model_validate(
        {
            "agents": {
                "implementer": {"model": "claude-opus-4-1"},
                "docs-writer": {"role": "writes docs", "prompt": ".github/docs.md"},
            },
            "flows": {
                "follow-up": None,
                "review": {"enabled": False},
                "docs": {
                    "pattern": "events",
                    "triggers": ["review.completed"],
                    "where": {"conclusion": "failure"},
                    "agents": ["docs-writer"],
                },
            },
        }
    )
    assert config.agents["implementer"].model == "claude-opus-4-1"
    assert config.agents["implementer"].role == DEFAULT_AGENTS["implementer"].role
    assert config.agents["docs-writer"].prompt == ".github/docs.md"
    assert "follow-up" not in config.flows
    assert not config.flows["review"].enabled
    assert config.flows["docs"].where == {"conclusion": "failure"}


EVENT_FLOW = {"pattern": "events", "triggers": ["review.completed"], "agents": ["style"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"flows": {"review": {"agents": ["ghost"]}}}, "unknown agents: ghost"),
        ({"agents": {"Bad Name": {"role": "r"}}}, "agent name 'Bad Name'"),
        ({"flows": {"f": {**EVENT_FLOW, "pattern": "mesh"}}}, "pattern"),
        ({"flows": {"f": {**EVENT_FLOW, "pattern": "swarm"}}}, "an added flow is an event flow"),
        ({"flows": {"f": {**EVENT_FLOW, "triggers": []}}}, "one agent and at least one trigger"),
        ({"flows": {"f": {**EVENT_FLOW, "agents": ["style", "security"]}}}, "one agent"),
        ({"flows": {"f": {**EVENT_FLOW, "triggers": ["issue.opened"]}}}, "no event matches"),
        ({"flows": {"f": {**EVENT_FLOW, "triggers": ["review.*x"]}}}, "bad event pattern"),
        ({"flows": {"review": {"pattern": "pipeline"}}}, "runs as swarm or hub-and-spoke"),
        ({"flows": {"implement": {"pattern": "swarm"}}}, "runs as pipeline, not swarm"),
        (
            {"flows": {"review": {"pattern": "hub-and-spoke", "max_iterations": 2}}},
            "are the swarm's",
        ),
        ({"flows": {"review": {"triggers": ["review.completed"]}}}, "starts on GitHub's events"),
        ({"flows": {"review": {"agents": ["implementer"]}}}, "built-in reviewers only"),
        ({"flows": {"implement": {"agents": ["planner"]}}}, "has fixed agents"),
        ({"agnets": {}}, "Extra inputs are not permitted"),
        ({"max_escalation_depth": 11}, "less than or equal to 10"),
        ({"agents": {"lead": {"escalates_to": "ghost"}}}, "unknown role 'ghost'"),
        ({"agents": {"lead": {"escalates_to": "implementer"}}}, "escalation loop"),
        ({"flows": {"follow-up": {"pattern": "swarm"}}}, "runs as pipeline or hierarchy"),
        ({"agents": {"style": {"authority": ["accept.*"]}}}, "are for the implementer"),
        ({"agents": {"x": {"role": "r", "prompt": "../../other/contents/a.md"}}}, "without '..'"),
        ({"agents": {"x": {"role": "r", "prompt": ".github/../../b.md"}}}, "without '..'"),
        ({"agents": {"x": {"role": "r", "prompt": "/etc/passwd"}}}, "should match pattern"),
        ({"agents": {"x": {"role": "r", "prompt": "a%2F..%2Fb.md"}}}, "should match pattern"),
        ({"agents": {"x": {"role": "r", "prompt": "a//b.md"}}}, "without '..'"),
        ({"flows": {"review": {"agents": ["style", "style"]}}}, "names an agent twice"),
        ({"flows": {"@acme/admins <!--": EVENT_FLOW}}, "flow name"),
        ({"flows": {"f": {**EVENT_FLOW, "where": {"conclsion": "failure"}}}}, "conclsion"),
        ({"flows": {"review": {"gates": []}}}, "Extra inputs are not permitted"),
        ({"agents": {"style": {"tools": ["bash"]}}}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_configuration_is_refused(data: dict[str, object], message: str) -> None:
    """Unknown references, bad names, flows that cannot run as written and removed or
    misspelt keys are errors."""
    with pytest.raises(ValidationError, match=message):
        TeamConfig.model_validate(data)


BROKEN = """\
# specbot team settings
agents:
  implementer:
    limits:
      max_turns: 0
flows:
  review:
    agents: [security]
  review:
    enabled: false
"""


def test_config_check_puts_each_error_on_its_line(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """Errors come out as PATH:LINE: field: message, with the line the field is on; exit 1."""
    path = tmp_path / "specbot.yml"
    path.write_text(BROKEN, encoding="utf-8")
    result = run_specbot("config", "check", str(path))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{path}:5: agents.implementer.limits.max_turns: must be at least 1",
        f"{path}:9: flows.review: duplicate key 'review'",
    ]


def test_config_and_settings_errors_are_in_plain_words(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """A wrong type is said in the product's words: no "Input should be", no "[Errno 2]",
    from `config check`, from `lint --config` and for a setting of `specbot review`."""
    path = tmp_path / "specbot.yml"
    path.write_text("gate:\n  min_score: lots\nagents:\n  x: 1\n", encoding="utf-8")
    checked = run_specbot("config", "check", str(path))
    assert checked.stdout.splitlines() == [
        f"{path}:2: gate.min_score: must be a whole number",
        f"{path}:4: agents.x: must be a mapping of keys to values",
    ]
    linted = run_specbot("lint", "--config", str(path), str(path))
    assert linted.returncode == 2
    assert "must be" in linted.stderr and "Input should" not in linted.stderr
    env = {"SPECBOT_MODEL_MAX_ATTEMPTS": "many", "SPECBOT_DATA_DIR": str(tmp_path / "data")}
    reviewed = run_specbot("review", "--base", "HEAD", "--no-model", env=env)
    assert (
        reviewed.stderr
        == "specbot review: setting SPECBOT_MODEL_MAX_ATTEMPTS: must be a whole number\n"
    )


def test_config_check_accepts_a_good_file_and_reports_yaml_errors(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    """A valid file prints ok (exit 0); broken YAML names its line (exit 1); no file exits 2."""
    good = tmp_path / "good.yml"
    good.write_text("agents:\n  implementer:\n    model: claude-opus-4-1\n", encoding="utf-8")
    assert run_specbot("config", "check", str(good)).stdout.strip() == f"{good}: ok"
    bad = tmp_path / "bad.yml"
    bad.write_text("flows:\n  review: [1\n", encoding="utf-8")
    result = run_specbot("config", "check", str(bad))
    assert result.returncode == 1 and result.stdout.startswith(f"{bad}:3: yaml:")
    missing = run_specbot("config", "check", str(tmp_path / "nope.yml"))
    assert (
        missing.stderr
        == f"specbot config: cannot read {tmp_path / 'nope.yml'}: no such file or directory\n"
    )
    assert missing.returncode == 2
    empty = run_specbot("config", "check", "-", input="")
    assert empty.returncode == 0


def test_config_schema_is_a_json_schema_the_defaults_satisfy(run_specbot: RunSpecbot) -> None:
    """The printed schema is valid JSON Schema and accepts the default configuration."""
    result = run_specbot("config", "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(TeamConfig.model_validate({}).model_dump(mode="json"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"agents": {"x": {"model": "m"}}}, schema)


def test_repository_config_holds_the_team_next_to_the_gate() -> None:
    """`.github/specbot.yml` carries gate, agents and flows; a bad flow is reported on its line."""
    config = load_repo_config(
        "gate:\nagents:\n  implementer:\n    model: claude-opus-4-1\n"
        "flows:\n  review:\n    enabled: false\n"
    )
    assert config.agents["implementer"].model == "claude-opus-4-1"
    assert not config.flows["review"].enabled
    assert config.gate == RepoConfig().gate
    with pytest.raises(ConfigError) as caught:
        load_repo_config("# team\nflows:\n  review:\n    agents: [ghost]\n", "specbot.yml")
    assert caught.value.line == 2 and "unknown agents: ghost" in caught.value.message


def test_config_check_names_unknown_sections(run_specbot: RunSpecbot, tmp_path: Path) -> None:
    """A misspelt section is an unknown key on its line, next to other errors in the file."""
    path = tmp_path / "specbot.yml"
    path.write_text("gate:\nagnets:\n  x: 1\nflows:\n  review:\n    pattern: mesh\n", "utf-8")
    result = run_specbot("config", "check", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:2: agnets: unknown key",
        f"{path}:6: flows.review.pattern: unknown value 'mesh'",
    ]
