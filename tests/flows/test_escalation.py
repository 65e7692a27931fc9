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
MINOR = {
    **FINDING,
    "line": 7,
    "severity": "minor",
    "category": "performance",
    "message": "The factor is looked up on every call.",
}


def _lead_turn() -> dict[str, Any]:
    """The findings come most severe first: the lead accepts the major one (beyond its
    authority), leaves the minor one to a person, and accepts the nit."""
    decisions = [
        {"finding": 1, "decision": "accept", "reason": "The bool case is harmless here."},
        {"finding": 2, "decision": "escalate", "reason": "Only the author knows the hot path."},
        {"finding": 3, "decision": "accept", "reason": "A docstring nit; fine as it is."},
    ]
    return {
        "name": "lead-decides",
        "when": {"role": "Role: lead reviewer"},
        "reply": [
            {
                "tool_use": {
                    "name": "submit_decisions",
                    "input": {"summary": "Mostly acceptable.", "decisions": decisions},
                }
            }
        ],
    }


def test_after_the_rounds_the_lead_settles_within_its_authority_and_a_person_gets_the_rest(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """No round is allowed (max_rounds 0): the review's three findings go to the lead at
    once; its accepted nit is accepted, its accepted major finding is not (beyond accept.minor
    and accept.nit), the minor one it escalates goes to a person with its reason, and one
    comment says so. No follow-up commit is made."""
    config = EXAMPLE.replace("max_rounds: 1", "max_rounds: 0")
    review = review_turn("correctness reviewer", [FINDING, NIT, MINOR])
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
    assert "A docstring nit; fine as it is." in accepted
    assert "bool is a subclass of int" not in accepted and "looked up" not in accepted
    major, minor = refused.split("The factor is looked up on every call.")
    assert "bool is a subclass of int" in major and "beyond `lead`'s authority" in major
    assert "Only the author knows the hot path." in minor
    assert "A person should decide on what is left." in comment
    assert "authority: accept.minor, accept.nit" in comment
    assert turns.count("lead-decides") == 1 and "follow-up-edit" not in turns
    assert len(commits) == 1 and people == []
