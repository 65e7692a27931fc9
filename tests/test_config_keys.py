"""Which ``.github/specbot.yml`` keys are in force, and ``specbot config check`` naming the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import RepoConfig
from bot.config_keys import IN_FORCE, REMOVABLE, is_in_force, keys_without_effect
from tests.conftest import ROOT, RunSpecbot


def _resolves(data: Any, parts: list[str]) -> bool:
    """Whether a dotted pattern names a key of ``data`` ("*", "+": any entry of a mapping)."""
    if not parts:
        return True
    if not isinstance(data, dict):
        return False
    head, rest = parts[0], parts[1:]
    if head in ("*", "+"):
        return any(_resolves(value, rest) for value in data.values())
    return head in data and _resolves(data[head], rest)


@pytest.mark.parametrize("pattern", [*IN_FORCE, *REMOVABLE])
def test_every_key_in_force_is_a_key_of_the_schema(pattern: str) -> None:
    """A renamed or misspelt key fails here instead of silently dropping out of the list."""
    added = {
        "agents": {"explainer": {"role": "explains", "prompt": "p.md"}},
        "flows": {
            "explain": {
                "pattern": "events",
                "triggers": ["review.completed"],
                "where": {"conclusion": "failure"},
                "agents": ["explainer"],
            }
        },
    }
    assert _resolves(RepoConfig.model_validate(added).model_dump(), pattern.split(".")), pattern


def test_the_defaults_set_keys_nothing_reads_and_the_check_names_them() -> None:
    """The defaults spell out every field of every entry, more than each flow reads: the list
    says exactly what (a built-in agent's description, another flow's parameters)."""
    unread = {".".join(key) for key in keys_without_effect(RepoConfig().model_dump())}
    assert {"agents.security.role", "agents.security.prompt"} <= unread
    assert {"flows.implement.max_rounds", "flows.follow-up.consensus"} <= unread
    assert "flows.review.consensus" not in unread and "agents.security.model" not in unread
    assert not any(is_in_force(tuple(key.split("."))) for key in unread)


@pytest.mark.parametrize(
    ("data", "unread"),
    [
        ({}, []),
        ({"gate": None, "review": {"auto": "request"}}, []),
        ({"agents": {"style": {"model": "m", "limits": {"max_turns": 3}}}}, []),
        ({"agents": {"style": {"role": "x", "model": "m"}}}, [("agents", "style", "role")]),
        ({"flows": {"review": None, "follow-up": {"enabled": False}}}, []),
        (
            {"flows": {"review": {"consensus": [], "gates": [], "agents": ["style"]}}},
            [("flows", "review", "gates")],
        ),
        ({"flows": {"nightly": {"pattern": "events", "where": {}}}}, []),
        ({"flows": {"nightly": {"max_rounds": 2}}}, [("flows", "nightly", "max_rounds")]),
        ({"flows": {"implement": {"max_rounds": 2}}}, [("flows", "implement", "max_rounds")]),
        ({"agents": {"mine": {"role": "r", "prompt": "p"}}}, []),
        ({"agents": {"style": {"prompt": "p"}}}, [("agents", "style", "prompt")]),
    ],
)
def test_keys_without_effect(data: dict[str, Any], unread: list[tuple[str, ...]]) -> None:
    assert keys_without_effect(data) == unread


def test_config_check_names_keys_without_effect_on_their_lines(
    run_specbot: RunSpecbot, tmp_path: Path
) -> None:
    path = tmp_path / "specbot.yml"
    path.write_text(
        "review:\n  auto: collaborators\nflows:\n  review:\n    enabled: true\n"
        "    max_rounds: 2\nagents:\n  style:\n    role: checks naming\n",
        encoding="utf-8",
    )
    result = run_specbot("config", "check", str(path))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{path}:6: flows.review.max_rounds: has no effect yet (accepted, but nothing reads it)",
        f"{path}:9: agents.style.role: has no effect yet (accepted, but nothing reads it)",
        f"{path}: ok",
    ]


def test_the_example_configurations_are_valid_and_wholly_in_force(
    run_specbot: RunSpecbot,
) -> None:
    """Every ``docs/examples/specbot-*.yml`` passes the check with no key left without effect."""
    examples = sorted(ROOT.joinpath("docs", "examples").glob("specbot-*.yml"))
    assert examples, "the examples were found"
    for path in examples:
        result = run_specbot("config", "check", str(path))
        assert (result.returncode, result.stdout) == (0, f"{path}: ok\n"), result.stdout
