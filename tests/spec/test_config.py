"""``GateConfig`` changes what blocks; ``RepoConfig`` loads from YAML with line numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.config import ConfigError, RepoConfig, load_repo_config
from bot.spec import GateConfig, lint
from tests.spec.conftest import BASE_SPEC

WARNED = BASE_SPEC.replace("## Scope\nOut of scope: the Invoices page.\n", "")


def test_defaults_are_the_rubric() -> None:
    """Without configuration a warning does not block."""
    verdict = lint(WARNED)
    assert [f.id for f in verdict.findings] == ["CMP-003"]
    assert verdict.ready


def test_promote_makes_a_warning_block() -> None:
    """A promoted id becomes an error and the spec is not ready."""
    verdict = lint(WARNED, GateConfig(promote=("CMP-003",)))
    assert verdict.findings[0].severity == "error"
    assert not verdict.ready
    assert verdict.scores["P1"] == 65


def test_demote_makes_an_error_a_warning() -> None:
    """A demoted error is reported as a warning and no longer blocks."""
    body = BASE_SPEC + "- [ ] Store the orders in a global variable.\n"
    assert not lint(body).ready
    verdict = lint(body, GateConfig(demote=("IMP-001",)))
    assert verdict.ready
    assert verdict.findings[0].severity == "warn"


def test_disable_removes_the_finding_and_its_penalty() -> None:
    """A disabled id is neither reported nor scored."""
    verdict = lint(WARNED, GateConfig(disable=("CMP-003",)))
    assert verdict.findings == ()
    assert verdict.score == 100


def test_minimum_scores_block_readiness() -> None:
    """Scores under the configured minimums make the spec not ready, and say why."""
    verdict = lint(WARNED, GateConfig(min_score=99))
    assert not verdict.ready
    assert verdict.threshold_failures == ("score 98 is below the configured minimum 99",)
    verdict = lint(WARNED, GateConfig(min_principle_scores={"P1": 95}))
    assert not verdict.ready
    assert lint(WARNED, GateConfig(min_principle_scores={"P1": 90})).ready


@pytest.mark.parametrize(
    "kwargs",
    [
        {"demote": ("SEC-001",)},
        {"disable": ("STR-001",)},
        {"promote": ("ACC-002",), "demote": ("ACC-002",)},
        {"promote": ("ACC-002", "ACC-002")},
        {"min_score": 101},
        {"min_principle_scores": {"P1": -1}},
        {"promote": ("NOPE-1",)},
        {"colour": "red"},
    ],
)
def test_invalid_gate_configs_are_refused(kwargs: dict[str, object]) -> None:
    """Inconsistent or unsafe settings raise a validation error."""
    with pytest.raises(ValidationError):
        GateConfig.model_validate(kwargs)


def test_empty_and_comment_only_files_give_defaults() -> None:
    """An empty .github/specbot.yml is valid."""
    assert load_repo_config("") == RepoConfig()
    assert load_repo_config("# nothing yet\n") == RepoConfig()
    assert load_repo_config("gate:\n") == RepoConfig()


def test_a_full_gate_section_loads() -> None:
    """Every key of the gate section round-trips from YAML."""
    config = load_repo_config(
        "gate:\n  promote: [CMP-002]\n  demote: [ACC-004]\n  disable: [STR-006]\n"
        "  min_score: 70\n  min_principle_scores: {P3: 60}\n"
    )
    assert config.gate.promote == ("CMP-002",)
    assert config.gate.min_principle_scores == {"P3": 60}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("gate:\n  promote: [CMP-002]\n  colour: red\n", 3, "gate.colour: unknown key"),
        ("gate:\n  promote:\n    - CMP-002\n    - XYZ-1\n", 4, "unknown value 'XYZ-1'"),
        ("gates: {}\n", 1, "gates: unknown key"),
        ("gate:\n  min_score: 1\n  min_score: 2\n", 3, "duplicate key 'min_score'"),
        ("gate: [\n", 2, "invalid YAML"),
        ("- a\n", 1, "must be a mapping"),
        ("gate:\n  min_score: high\n", 2, "gate.min_score"),
    ],
)
def test_errors_name_the_line_of_the_offending_key(text: str, line: int, fragment: str) -> None:
    """The error says file, line and what is wrong."""
    with pytest.raises(ConfigError) as caught:
        load_repo_config(text, "specbot.yml")
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"specbot.yml:{line}: ")


def test_the_documented_example_configuration_loads() -> None:
    """The `gate:` example in specs/README.md is a valid configuration."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "specs" / "README.md").read_text("utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_repo_config(example)
    assert config.gate.promote == ("CMP-002", "ERR-004")
    assert config.gate.min_principle_scores == {"P3": 60, "P4": 60}


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "gate:",
                    "\n",
                    "  ",
                    "promote:",
                    "[",
                    "]",
                    "{",
                    "}",
                    "- ",
                    "CMP-002",
                    "min_score:",
                    "101",
                    "-1",
                    "&a",
                    "*a",
                    "!!python/object",
                    "'",
                    '"',
                    ":",
                    "#",
                    "\t",
                    "null",
                ]
            ),
            max_size=40,
        ).map("".join),
    )
)
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    """Whatever the file holds, the loader returns a config or raises ConfigError, never more."""
    try:
        config = load_repo_config(text)
    except ConfigError as error:
        assert str(error).startswith(".github/specbot.yml")
    else:
        assert isinstance(config, RepoConfig)


@pytest.mark.parametrize(
    "text",
    ["[" * 3000 + "]" * 3000, "gate: !!python/object:os.system {}", "!0"],
)
def test_hostile_yaml_is_a_config_error(text: str) -> None:
    """Deep nesting and unknown or unsafe tags are refused with a clear error."""
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_repo_config(text)
