"""The follow-up as a hierarchy through the App (docs/examples/specbot-escalation.yml): after
the rounds, the lead settles what the review left open, held to its written authority."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.flows.stack_fixtures import (
    READY_SPEC,
    REPO,
    alice_repo,
    implement_script,
    review_turn,
    settle,
    start,
    wait_for,
)
from tests.flows.test_followup import FINDING

pytestmark = pytest.mark.slow

EXAMPLE = ROOT.joinpath("docs", "examples", "specbot-escalation.yml").read_text("utf-8")
NIT = {
    **FINDING,
    "line": 3,
    "severity": "nit",
    "category": "style",
    "message": "The module docstring could name the unit.",
}


def _lead_turn() -> dict[str, Any]:
    """The lead accepts both findings: the nit is within its authority, the major one is not."""
    decisions = [
        {"finding": 1, "decision": "accept", "reason": "The bool case is harmless here."},
        {"finding": 2, "decision": "accept", "reason": "A docstring nit; fine as it is."},
    ]
    return {
        "name": "lead-decides",
        "when": {"role": "Role: lead reviewer"},
        "reply": [
            {
                "tool_use": {
                    "name": "submit_decisions",
                    "input": {"summary": "Both are acceptable.", "decisions": decisions},
                }
            }
        ],
    }


def test_after_the_rounds_the_lead_settles_within_its_authority_and_a_person_gets_the_rest(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """No round is allowed (max_rounds 0): the review's two findings go to the lead at once;
    it accepts both, code keeps the major one for a person (beyond accept.minor and
    accept.nit), and one comment says so. No follow-up commit is made."""
    config = EXAMPLE.replace("max_rounds: 1", "max_rounds: 0")
    review = review_turn("correctness reviewer", [FINDING, NIT])
    review["times"] = 1
    script = implement_script([review, _lead_turn()])
    with start(tmp_path, app_key_pem, script, config=config) as stack:
        repo = alice_repo(stack)
        issue = stack.hub.open_issue(REPO, "Convert inches", READY_SPEC, as_user="alice")
        stack.hub.label(REPO, issue["number"], ["spec"], as_user="alice")
        pull = wait_for(lambda: next(iter(repo.get_pulls(state="open")), None), what="a PR")
        comments = wait_for(
            lambda: [
                c.body
                for c in repo.get_issue(pull.number).get_comments()
                if "**Escalation**" in c.body
            ],
            timeout=120,
            what="the lead's comment",
        )
        settle(stack)
        turns = [e.turn for e in stack.model.log.entries(path="/v1/messages")]
        commits = list(repo.get_pull(pull.number).get_commits())
        people = [
            c.body
            for c in repo.get_issue(pull.number).get_comments()
            if "A person should take it from here" in c.body
        ]
    [comment] = comments
    accepted, refused = comment.split("Not accepted:")
    assert "The module docstring could name the unit." in accepted
    assert "bool is a subclass of int" in refused
    assert "beyond `lead`'s authority" in refused
    assert "A person should decide on what is left." in comment
    assert "authority: accept.minor, accept.nit" in comment
    assert turns.count("lead-decides") == 1 and "follow-up-edit" not in turns
    assert len(commits) == 1 and people == []
