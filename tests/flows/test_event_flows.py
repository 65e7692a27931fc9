"""A repository's event flows through the App: an agent of its own answers ``review.completed``
(filtered, with its instructions from a file of the repository), and flows that set each
other off stop at the chain's cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.offline import OfflineStack
from tests.conftest import ROOT
from tests.flows.stack_fixtures import (
    implement_script,
    settle,
    spec_to_review,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow

EXPLAIN = ROOT.joinpath("docs", "examples", "specbot-event-flow.yml").read_text("utf-8")
INSTRUCTIONS = "Say in one sentence what the review found. Be kind."


def _answer(agent: str, text: str) -> dict[str, Any]:
    return {
        "name": f"{agent}-answer",
        "when": {"last_user_contains": f"this repository's `{agent}` agent"},
        "reply": [{"text": text}],
    }


def _own_comments(stack: OfflineStack, number: int) -> list[str]:
    comments = stack.hub.state()["issue_comments"].values()
    return [c["body"] for c in comments if c["number"] == number and c["user"] == "specbot[bot]"]


def _run_spec(stack: OfflineStack) -> int:
    """Label a ready spec and wait for specbot's pull request and its review."""
    return int(spec_to_review(stack).number)


def test_a_filtered_event_flow_answers_once_with_the_repositorys_instructions(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """docs/examples/specbot-event-flow.yml on a clean review (``success``): the unfiltered
    flow answers once, the one filtered on ``failure`` does not; the agent read the
    instructions file and was shown the event as data; ``agent.completed`` follows in the
    event's chain."""
    script = implement_script([_answer("explainer", "All clear: no finding. @alice")])
    files = {".github/specbot/explain.md": INSTRUCTIONS}
    with start(tmp_path, app_key_pem, script, config=EXPLAIN, files=files) as stack:
        pull = _run_spec(stack)
        wait_for(lambda: _own_comments(stack, pull), what="the event flow's answer")
        settle(stack)
        answers = _own_comments(stack, pull)
        [request] = [
            e for e in stack.model.log.entries(path="/v1/messages") if e.turn == "explainer-answer"
        ]
        [root] = [e for e in stack.engine.events.of_type("review.completed")]
        chain = stack.engine.events.chain(root.correlation_id)
    assert len(answers) == 1 and "**summarise** (`explainer`)" in answers[0]
    assert "All clear: no finding." in answers[0] and "@alice" not in answers[0]
    task = str(request.body)
    assert INSTRUCTIONS in task and '"conclusion": "success"' in task
    assert [e.event_type for e in chain] == ["review.completed", "agent.completed"]
    assert chain[1].payload["flow"] == "summarise" and chain[1].causation_id == root.event_id


LOOP = """\
agents:
  ping:
    role: says ping
  pong:
    role: says pong
flows:
  ping:
    pattern: events
    triggers: [review.completed, agent.completed]
    agents: [ping]
  pong:
    pattern: events
    triggers: [agent.completed]
    agents: [pong]
"""


def test_flows_that_set_each_other_off_stop_at_the_chain_cap(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """ping answers pong and pong answers ping: with a cap of 4 events per chain, the chain
    holds the review's event and three answers' events, and the fourth answer is the last."""
    script = implement_script([_answer("ping", "ping"), _answer("pong", "pong")])
    with start(tmp_path, app_key_pem, script, config=LOOP, SPECBOT_EVENT_CHAIN_LIMIT=4) as stack:
        pull = _run_spec(stack)
        wait_for(lambda: len(_own_comments(stack, pull)) >= 4, what="four answers")
        settle(stack)
        answers = _own_comments(stack, pull)
        [root] = [e for e in stack.engine.events.of_type("review.completed")]
        chain = stack.engine.events.chain(root.correlation_id)
    assert [a.split("**")[1] for a in answers] == ["ping", "pong", "ping", "pong"]
    assert len(chain) == 4
