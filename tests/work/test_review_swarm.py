"""The review as a swarm: rounds until a consensus rule holds, each member checkpointed, the
blackboard written as entries for the event log; against the scripted model over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.anthropic_model import AnthropicModel
from bot.agents import ResilientModel
from bot.orchestra import ConsensusRule, InMemoryCheckpoints
from bot.ports import FileDiff
from bot.review import ReviewPolicy
from bot.scripted import ScriptedModelServer, start_scripted_model
from bot.work import ReviewResult, SwarmRounds, Team, review_changes

MODEL = "claude-sonnet-4-5"
PATCH = "@@ -0,0 +1,3 @@\n+def area(w, h):\n+    return w * h\n+\n"
FILES = [FileDiff(path="geo.py", status="added", patch=PATCH, additions=3, deletions=0)]
FINDING = {
    "path": "geo.py",
    "line": 2,
    "severity": "minor",
    "category": "correctness",
    "message": "Negative sizes give a negative area.",
    "quote": "    return w * h",
    "confidence": 0.9,
}


def _submit(findings: list[dict[str, Any]], **turn: Any) -> dict[str, Any]:
    review = {"summary": "Looked at it.", "findings": findings}
    return {"reply": [{"tool_use": {"name": "submit_review", "input": review}}], **turn}


SCRIPT = {
    "turns": [
        _submit([], name="later-round", when={"last_user_contains": "This is round"}),
        _submit([FINDING], name="security", when={"role": "Role: security reviewer"}),
        _submit([], name="style", when={"role": "Role: style reviewer"}),
    ]
}


@pytest.fixture
def model() -> Iterator[tuple[ScriptedModelServer, ResilientModel]]:
    server = start_scripted_model(SCRIPT)
    client = ResilientModel(AnthropicModel(api_key="k", model=MODEL, base_url=server.base_url))
    yield server, client
    client.close()
    server.stop()


Entries = list[tuple[str, dict[str, Any], int]]


def _review(
    client: ResilientModel,
    checkout: Path,
    rounds: SwarmRounds,
    checkpoints: InMemoryCheckpoints | None = None,
    entries: Entries | None = None,
) -> tuple[ReviewResult, Team]:
    team = Team(call_model=client.complete, model_name=MODEL)
    kept = entries if entries is not None else []
    result = review_changes(
        team,
        checkout,
        FILES,
        None,
        pull=3,
        title="Add area",
        reviewers=["security", "style"],
        policy=ReviewPolicy(),
        with_analysers=False,
        rounds=rounds,
        checkpoints=checkpoints,
        record=lambda kind, payload, seq: kept.append((kind, payload, seq)),
    )
    return result, team


def _turns(server: ScriptedModelServer) -> list[str]:
    return [entry.turn or "" for entry in server.log.entries(path="/v1/messages")]


def test_a_later_round_sees_the_findings_so_far_and_nothing_new_ends_the_swarm(
    model: tuple[ScriptedModelServer, ResilientModel], tmp_path: Path
) -> None:
    """Round 1 is blind; round 2 lists round 1's findings and adds nothing, so
    ``no_new_contributions`` ends the swarm there, before the third round it was allowed."""
    server, client = model
    entries: Entries = []
    rounds = SwarmRounds((ConsensusRule(kind="no_new_contributions"),), max_iterations=3)
    result, _ = _review(client, tmp_path, rounds, entries=entries)
    assert sorted(_turns(server)) == ["later-round", "later-round", "security", "style"]
    [later, *_] = [e for e in server.log.entries(path="/v1/messages") if e.turn == "later-round"]
    assert "Negative sizes give a negative area." in str(later.body)
    assert result.consensus.reached and result.consensus.iteration == 2
    assert result.consensus.rule == "no_new_contributions"
    assert [f.finding.message for f in result.findings] == [FINDING["message"]]
    assert [(kind, seq) for kind, _, seq in entries] == [
        ("review.contribution", 1000),
        ("review.contribution", 1001),
        ("review.contribution", 2000),
        ("review.contribution", 2001),
        ("review.merged", 0),
        ("review.synthesis", 0),
    ]
    first = entries[0][1]
    assert first["agent"] == "security" and first["verdict"] == "COMMENT"
    assert first["listed"] == [
        {"path": "geo.py", "line": 2, "severity": "minor", "kind": "correctness"}
    ]
    assert entries[-1][1]["rule"] == "no_new_contributions"


def test_a_majority_after_the_blind_round_ends_the_swarm_there(
    model: tuple[ScriptedModelServer, ResilientModel], tmp_path: Path
) -> None:
    """Both members vote to comment in round 1: the majority rule holds, no second round."""
    server, client = model
    rounds = SwarmRounds((ConsensusRule(kind="majority"),), max_iterations=3)
    result, _ = _review(client, tmp_path, rounds)
    assert sorted(_turns(server)) == ["security", "style"]
    assert (result.consensus.rule, result.consensus.verdict) == ("majority", "COMMENT")


def test_the_round_limit_ends_a_swarm_that_never_agrees(
    model: tuple[ScriptedModelServer, ResilientModel], tmp_path: Path
) -> None:
    """A time box that never ends it: the swarm stops at its round limit, says so, and still
    reviews with what it found."""
    server, client = model
    rounds = SwarmRounds((ConsensusRule(kind="time_box"),), max_iterations=2)
    result, _ = _review(client, tmp_path, rounds)
    assert len(_turns(server)) == 4
    assert not result.consensus.reached
    assert result.consensus.reason == "iteration limit 2 reached without consensus"
    assert len(result.findings) == 1


def test_a_review_started_again_runs_only_the_members_without_a_kept_result(
    tmp_path: Path,
) -> None:
    """A member that failed is run again; finished members are not, and what they spent
    still counts in the run's usage."""
    down = {"name": "style-down", "when": {"role": "Role: style reviewer"}, "times": 1}
    server = start_scripted_model({"turns": [{**down, "fault": {"status": 400}}, *SCRIPT["turns"]]})
    client = ResilientModel(AnthropicModel(api_key="k", model=MODEL, base_url=server.base_url))
    try:
        _review_twice(server, client, tmp_path)
    finally:
        client.close()
        server.stop()


def _review_twice(server: ScriptedModelServer, client: ResilientModel, tmp_path: Path) -> None:
    checkpoints = InMemoryCheckpoints()
    once = SwarmRounds(max_iterations=1)
    first, first_team = _review(client, tmp_path, once, checkpoints)
    assert [n.status[:6] for n in first.members] == ["review", "failed"]
    assert sorted(_turns(server)) == ["security", "style-down"]
    again, team = _review(client, tmp_path, once, checkpoints)
    assert sorted(_turns(server)) == ["security", "style", "style-down"]
    assert [n.status for n in again.members] == ["reviewed", "reviewed"]
    assert [f.finding.message for f in again.findings] == [FINDING["message"]]
    security = first_team.ledger.usage("security")
    assert security.output_tokens > 0 and team.ledger.usage("security") == security
    assert team.ledger.usage("style").output_tokens > 0


def test_hub_and_spoke_hands_each_area_to_the_specialists_it_needs(
    model: tuple[ScriptedModelServer, ResilientModel], tmp_path: Path
) -> None:
    """Source goes to security and style, documentation to style alone: three tasks, each
    sent as a recorded task message, and security never reads the documentation."""
    server, client = model
    docs = FileDiff(
        path="docs/geo.md",
        status="added",
        patch="@@ -0,0 +1 @@\n+# Area\n",
        additions=1,
        deletions=0,
    )
    team = Team(call_model=client.complete, model_name=MODEL)
    entries: Entries = []
    result = review_changes(
        team,
        tmp_path,
        [*FILES, docs],
        None,
        pull=3,
        title="Add area",
        reviewers=["security", "style"],
        policy=ReviewPolicy(),
        with_analysers=False,
        rounds=SwarmRounds(by_area=True, time_box_seconds=600),
        record=lambda kind, payload, seq: entries.append((kind, payload, seq)),
    )
    assert sorted(_turns(server)) == ["security", "style", "style"]
    security = [e for e in server.log.entries(path="/v1/messages") if e.turn == "security"]
    assert "docs/geo.md" not in str(security[0].body) and "geo.py" in str(security[0].body)
    tasks = [payload for kind, payload, _ in entries if kind == "review.task"]
    assert [(t["task_id"], t["agent"]) for t in tasks] == [
        ("area-1:security", "security"),
        ("area-1:style", "style"),
        ("area-2:style", "style"),
    ]
    assert tasks[2]["payload"]["context"] == {"area": "docs", "files": ["docs/geo.md"]}
    assert tasks[0]["parent_id"] == "pull-3" and tasks[0]["deadline_seconds"] == 600
    assert result.consensus.rule == "hub-and-spoke"
    assert [f.finding.message for f in result.findings] == [FINDING["message"]]
