"""Models and thinking per role and per agent: what is sent, what is refused, and thinking that
goes back to a model that checks its signatures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.adapters.anthropic_model import build_params
from bot.agents import (
    AgentLimits,
    ModelRequest,
    PriceTable,
    ResilientModel,
    RoleOverride,
    UsageLedger,
    build_toolbox,
    load_role,
    run_agent,
)
from bot.agents.tools import Workspace
from bot.config import load_repo_config
from bot.flows._services import agent_overrides
from bot.work import Team
from tests.agents.conftest import MODEL, Sleeps, Stack, StartModel

REQUEST = ModelRequest(agent="a", system="s", messages=[{"role": "user", "content": "Go."}])


def test_a_thinking_budget_is_sent_as_extended_thinking():
    params = build_params(REQUEST.model_copy(update={"thinking_budget": 2048}), MODEL)
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "output_config" not in params


def test_an_effort_is_sent_as_adaptive_thinking():
    params = build_params(REQUEST.model_copy(update={"effort": "low"}), MODEL)
    assert params["thinking"] == {"type": "adaptive"}
    assert params["output_config"] == {"effort": "low"}


def test_a_roles_model_replaces_the_default_and_no_thinking_is_sent_unasked():
    params = build_params(REQUEST.model_copy(update={"model": "claude-haiku-4-5"}), MODEL)
    assert params["model"] == "claude-haiku-4-5"
    assert "thinking" not in build_params(REQUEST, MODEL)


def test_thinking_that_cannot_fit_the_output_limit_is_refused_with_the_reason():
    role = load_role("style")
    with pytest.raises(ValidationError, match=r"max_output_tokens \(8192\) must exceed"):
        RoleOverride(thinking_budget=8192).apply(role)
    with pytest.raises(ValidationError, match="set thinking_budget or effort, not both"):
        role.model_validate({**role.model_dump(), "thinking_budget": 2048, "effort": "low"})


def test_an_override_changes_model_thinking_and_limits_and_keeps_the_rest():
    role = load_role("security")
    changed = RoleOverride(
        model="claude-opus-4-6", effort="high", limits={"max_turns": 9, "max_output_tokens": 32000}
    ).apply(role)
    assert (changed.model, changed.effort, changed.thinking_budget) == (
        "claude-opus-4-6",
        "high",
        None,
    )
    assert (changed.limits.max_turns, changed.limits.max_output_tokens) == (9, 32000)
    assert changed.limits.max_seconds == role.limits.max_seconds
    assert (changed.prompt, changed.tools) == (role.prompt, role.tools)


def test_the_repository_configuration_sets_each_agents_model_and_thinking():
    config = load_repo_config(
        "agents:\n"
        "  style: {role: style reviewer, model: claude-haiku-4-5, effort: low}\n"
        "  security:\n"
        "    role: security reviewer\n"
        "    model: claude-opus-4-6\n"
        "    thinking_budget: 4096\n"
        "    limits: {max_output_tokens: 16000}\n"
    )
    overrides = agent_overrides(config)
    style = overrides["style"].apply(load_role("style"))
    security = overrides["security"].apply(load_role("security"))
    assert (style.model, style.effort) == ("claude-haiku-4-5", "low")
    assert (security.model, security.thinking_budget) == ("claude-opus-4-6", 4096)
    assert security.limits.max_output_tokens == 16000


THINKING_REVIEW = {
    "turns": [
        {
            "when": {"turn": 0},
            "reply": [
                {"thinking": "The diff touches calc.py; I should read it before judging."},
                {
                    "tool_use": {
                        "name": "str_replace_based_edit_tool",
                        "input": {"command": "view", "path": "pkg/calc.py"},
                    }
                },
            ],
        },
        {
            "when": {"turn": 1},
            "reply": [
                {"thinking": "Nothing wrong here."},
                {
                    "tool_use": {
                        "name": "submit_review",
                        "input": {"summary": "Looks fine.", "findings": []},
                    }
                },
            ],
        },
    ]
}


def test_thinking_goes_back_unchanged_to_a_model_that_checks_its_signatures(
    start_model: StartModel, anthropic_model: Stack, workspace: Workspace
):
    """The scripted model refuses altered thinking with 400, as the API does: the review only
    completes if every thinking block went back exactly as received."""
    server = start_model(THINKING_REVIEW)
    # An older model: the newest ones take adaptive thinking (effort) instead of a budget.
    role = RoleOverride(model="claude-sonnet-4-5", thinking_budget=2048).apply(load_role("style"))
    ledger = UsageLedger(PriceTable.bundled())
    model = ResilientModel(anthropic_model(server.base_url), sleep=Sleeps())
    with build_toolbox(role, workspace) as toolbox:
        outcome = run_agent(
            agent="style",
            role=role,
            task="Review.",
            call_model=model.complete,
            toolbox=toolbox,
            ledger=ledger,
        )
    assert outcome.status == "submitted", outcome.message
    bodies = [entry.body for entry in server.log.entries()]
    assert [entry.status for entry in server.log.entries()] == [200, 200]
    assert all(b["model"] == "claude-sonnet-4-5" for b in bodies)
    assert bodies[1]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    sent_back = bodies[1]["messages"][1]["content"][0]
    assert sent_back["type"] == "thinking" and sent_back["signature"]
    # Cost at the role's model's price, thinking included in the output tokens.
    assert {call.model for call in ledger.calls()} == {"claude-sonnet-4-5"}
    price = ledger.prices.price("claude-sonnet-4-5")
    assert ledger.cost_usd() == pytest.approx(sum(price.cost(c.usage) for c in ledger.calls()))


def test_a_team_applies_the_repositorys_override_to_its_agent(
    start_model: StartModel, anthropic_model: Stack, tmp_path: Path
):
    server = start_model(
        {
            "turns": [
                {
                    "reply": [
                        {
                            "tool_use": {
                                "name": "submit_review",
                                "input": {"summary": "ok", "findings": []},
                            }
                        }
                    ]
                }
            ]
        }
    )
    model = ResilientModel(anthropic_model(server.base_url), sleep=Sleeps())
    team = Team(
        call_model=model.complete,
        model_name=MODEL,
        overrides={"style": RoleOverride(model="claude-haiku-4-5", limits={"max_turns": 2})},
    )
    outcome = team.run("style", "Review.", tmp_path)
    assert outcome.status == "submitted"
    assert server.log.entries()[0].body["model"] == "claude-haiku-4-5"
    assert AgentLimits().max_turns != 2  # the override, not a default, set it
