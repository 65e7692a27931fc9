"""The swarm's blackboard and consensus rules (pure); the review runs them (tests/work)."""

from __future__ import annotations

import pytest

from bot.orchestra import (
    Blackboard,
    ConsensusRule,
    Contribution,
    decide_consensus,
    out_of_rounds,
)


def _contribution(
    agent: str, confidence: float | None, verdict: str | None, *keys: str, iteration: int = 1
) -> Contribution:
    return Contribution(
        agent=agent, iteration=iteration, confidence=confidence, verdict=verdict, findings=keys
    )


@pytest.mark.parametrize(
    ("rule", "contributions", "reached"),
    [
        (ConsensusRule(kind="confidence", threshold=0.8), [(0.9, None), (0.8, None)], True),
        (ConsensusRule(kind="confidence", threshold=0.8), [(0.9, None), (0.6, None)], False),
        (ConsensusRule(kind="confidence", threshold=0.8), [(None, None), (0.9, None)], True),
        (ConsensusRule(kind="confidence", threshold=0.8), [(None, None), (0.7, None)], False),
        (ConsensusRule(kind="majority"), [(0.5, "ok"), (0.5, "ok"), (0.5, "no")], True),
        (ConsensusRule(kind="majority"), [(0.5, "ok"), (0.5, "no")], False),
        (ConsensusRule(kind="majority"), [(0.5, None), (0.5, None)], False),
    ],
)
def test_consensus_rules(
    rule: ConsensusRule, contributions: list[tuple[float | None, str | None]], reached: bool
) -> None:
    """Confidence needs the mean of those who reported something at the threshold; a vote
    needs a strict majority."""
    board = Blackboard(
        contributions=[_contribution(f"a{i}", c, v) for i, (c, v) in enumerate(contributions)],
    )
    state = decide_consensus(board, [rule], iteration=1, elapsed_seconds=0, time_box_seconds=None)
    assert state.reached is reached


def test_a_round_adding_nothing_new_ends_the_swarm() -> None:
    """ "No new contributions" holds only from round 2, when the round's findings add none."""
    rule = [ConsensusRule(kind="no_new_contributions")]
    board = Blackboard(contributions=[_contribution("a", 0.5, None, "k1")])
    first = decide_consensus(board, rule, iteration=1, elapsed_seconds=0, time_box_seconds=None)
    assert not first.reached
    board.contributions.append(_contribution("a", 0.5, None, "k2", iteration=2))
    second = decide_consensus(board, rule, iteration=2, elapsed_seconds=0, time_box_seconds=None)
    assert not second.reached
    board.contributions.append(_contribution("b", 0.5, None, "k1", "k2", iteration=3))
    third = decide_consensus(board, rule, iteration=3, elapsed_seconds=0, time_box_seconds=None)
    assert third.reached and third.rule == "no_new_contributions"


def test_the_first_rule_that_holds_wins_and_the_time_box_counts() -> None:
    """Rules are tried in order; the time box holds once the elapsed time reaches it."""
    rules = [ConsensusRule(kind="time_box"), ConsensusRule(kind="majority")]
    board = Blackboard(contributions=[_contribution("a", 0.5, "COMMENT")])
    early = decide_consensus(board, rules, iteration=1, elapsed_seconds=5, time_box_seconds=10)
    assert (early.rule, early.verdict) == ("majority", "COMMENT")
    late = decide_consensus(board, rules, iteration=1, elapsed_seconds=10, time_box_seconds=10)
    assert late.rule == "time_box" and late.reason == "time box of 10 s used"
    assert not out_of_rounds(3).reached and "iteration limit 3" in out_of_rounds(3).reason
    assert out_of_rounds(1).reason == "one blind round, as configured (max_iterations: 1)"
