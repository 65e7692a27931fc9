"""What a run records about itself through the App: its row in the run index and its events."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.durable import RunQuery
from bot.offline._demo import model_cost
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    implement_script,
    model_requests,
    settle,
    spec_to_review,
    start,
)

pytestmark = pytest.mark.slow
CANARY = "sk-canary-7f3a9c1e5b2d4f60"


def _leaky_script() -> dict[str, Any]:
    """The implementation script, with a first tool call that prints a secret."""
    script = implement_script()
    script["turns"].insert(
        1,
        {
            "name": "leak",
            "times": 1,
            "when": {"role": "Role: implementer", "turn": 0},
            "reply": [{"tool_use": {"name": "bash", "input": {"command": f"echo {CANARY}"}}}],
        },
    )
    for turn in script["turns"][2:4]:
        turn["when"]["turn"] += 1
    script["turns"][4]["when"]["turn"] += 1
    return script


def test_a_spec_run_records_its_row_stages_agents_calls_and_writes(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """The run index and event log hold what the dashboard draws; the totals add up."""
    with start(tmp_path, app_key_pem, _leaky_script(), ANTHROPIC_API_KEY=CANARY) as stack:
        pull = spec_to_review(stack)
        settle(stack)
        index, events = stack.engine.index, stack.engine.events
        rows = index.page(RunQuery(limit=200)).rows
        spec = next(row for row in rows if row.flow == "spec")
        assert (spec.repository, spec.state, spec.stage) == (REPO, "succeeded", "publish")
        assert spec.number is not None and spec.finished_ms is not None
        review = next(row for row in rows if row.flow == "review")
        assert (review.number, review.state) == (pull.number, "succeeded")
        # Every model call the scripted server answered is counted in exactly one run.
        requests = model_requests(stack)
        assert sum(row.model_calls for row in rows) == len(requests)
        assert sum(row.cost_usd for row in rows) == pytest.approx(model_cost(requests), rel=1e-6)
        read = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        tokens_in = sum(int((e.usage or {}).get(key, 0)) for e in requests for key in read)
        assert sum(row.input_tokens for row in rows) == tokens_in > 0

        found = [event for _, event in events.run_events([spec.run_id])]
        kinds = [event.event_type for event in found]
        stages = [e.payload["stage"] for e in found if e.event_type == "stage.finished"]
        assert stages == ["gate", "plan", "implement", "test", "publish"]
        assert {"agent.started", "agent.finished", "model.response", "tool.call"} <= set(kinds)
        calls = [e.payload for e in found if e.event_type == "model.response"]
        assert {call["role"] for call in calls} >= {"planner", "implementer"}
        assert all(call["model"] and call["cost_usd"] >= 0 for call in calls)
        writes = [e.payload for e in found if e.event_type == "github.write"]
        opened = [w for w in writes if w["action"] == "pull request opened"]
        assert opened and opened[0]["number"] == pull.number
        assert opened[0]["url"] == pull.html_url

    # The canary the agent printed reached the event log only redacted.
    database = tmp_path / "data" / "specbot.sqlite"
    with sqlite3.connect(database) as connection:
        stored = [row[0] for row in connection.execute("SELECT payload FROM specbot_events")]
    assert any("echo <redacted>" in payload for payload in stored)
    assert not any(CANARY in payload for payload in stored)
    assert all(isinstance(json.loads(payload), dict) for payload in stored)


def test_a_ready_spec_is_listed_with_filters_and_paging(tmp_path: Path, app_key_pem: Path) -> None:
    """The list filters by repository, flow and state; other repositories see nothing."""
    with start(tmp_path, app_key_pem, implement_script()) as stack:
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        settle(stack, timeout=180)
        index = stack.engine.index
        everything = index.page(RunQuery(limit=200)).rows
        assert {row.flow for row in everything} >= {"ingest", "spec", "review"}
        specs = index.page(RunQuery(flow="spec")).rows
        assert [row.number for row in specs] == [issue["number"]]
        assert index.page(RunQuery(repository=REPO.upper(), flow="spec")).rows == specs
        assert index.page(RunQuery(repositories=frozenset({"other/repo"}))).rows == []
        assert index.page(RunQuery(state="failed")).rows == []
        first = index.page(RunQuery(limit=2))
        second = index.page(RunQuery(limit=2, before=first.next_cursor))
        assert first.next_cursor is not None
        assert not {r.run_id for r in first.rows} & {r.run_id for r in second.rows}
        started = [row.started_ms for row in first.rows + second.rows]
        assert started == sorted(started, reverse=True)
