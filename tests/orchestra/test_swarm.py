"""The swarm pattern: blind parallel rounds on a durable blackboard, consensus and synthesis."""

from __future__ import annotations

import threading

import pytest

from bot.orchestra import (
    AgentReport,
    AgentView,
    Blackboard,
    Catalog,
    ConsensusRule,
    Contribution,
    Finding,
    Swarm,
    SwarmAgent,
    decide_consensus,
    deduplicate,
)
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger


def test_five_agents_of_one_second_finish_together(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Five agents taking 1 s each run in parallel: every one starts before any finishes."""
    engine = start_engine(flows.catalog)
    run = engine.start_swarm("reviewers", {"pr": 7}, workflow_id="swarm-1", queue=None)
    result = engine.result(run, timeout=30)
    last_start = max(at for _, _, at in ledger.rows("agent-start"))
    first_end = min(at for _, _, at in ledger.rows("agent"))
    assert len(ledger.rows("agent-start")) == 5
    assert last_start < first_end, "the agents ran one after another, not side by side"
    board = Blackboard.model_validate(result)
    assert sorted(c.agent for c in board.contributions) == [
        "correctness",
        "performance",
        "security",
        "spec",
        "style",
    ]
    assert board.consensus.reached and board.consensus.rule == "majority"
    assert board.consensus.verdict == "approve"
    shared = [f for f in board.synthesis["findings"] if f["key"] == "src/app.py:10:security"]  # type: ignore[index]
    assert len(shared) == 1 and len(shared[0]["reported_by"]) == 5
    assert engine.blackboard(run) == board
    assert ledger.count("agent") == 5


def _agent(name: str, keys_by_round: dict[int, list[str]], confidence: float = 0.5) -> SwarmAgent:
    def run(view: AgentView) -> AgentReport:
        Ledger.from_env().record("seen", f"{name}@{view.iteration}", str(len(view.prior_findings)))
        keys = keys_by_round.get(view.iteration, [])
        return AgentReport(
            findings=[Finding(key=key, message=key) for key in keys], confidence=confidence
        )

    return SwarmAgent(name, run)


def test_rounds_stop_when_nothing_new_is_found(start_engine: StartEngine, ledger: Ledger) -> None:
    """Later rounds see earlier merged findings; a round adding nothing new ends the swarm."""
    swarm = Swarm(
        "rounds",
        (_agent("a", {1: ["k1"], 2: ["k2"], 3: ["k2"]}), _agent("b", {1: ["k1"], 2: [], 3: []})),
        rules=(ConsensusRule(kind="no_new_contributions"),),
        max_iterations=5,
    )
    engine = start_engine(Catalog().add(*flows.FAST_QUEUES, swarm))
    board = Blackboard.model_validate(
        engine.result(engine.start_swarm("rounds", {}, workflow_id="r", queue=None))
    )
    assert board.consensus.reached and board.consensus.iteration == 3
    assert board.consensus.rule == "no_new_contributions"
    assert [f.key for f in board.merged_findings()] == ["k1", "k2"]
    rows = {key: int(who) for key, who, _ in ledger.rows("seen")}
    assert rows == {"a@1": 0, "b@1": 0, "a@2": 1, "b@2": 1, "a@3": 2, "b@3": 2}


def test_iteration_limit_ends_a_swarm_without_consensus(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A swarm that never agrees stops at its iteration limit and still synthesises."""
    swarm = Swarm(
        "endless",
        (_agent("a", {1: ["x1"], 2: ["x2"], 3: ["x3"]}),),
        rules=(ConsensusRule(kind="no_new_contributions"), ConsensusRule(kind="confidence")),
        max_iterations=2,
    )
    engine = start_engine(Catalog().add(*flows.FAST_QUEUES, swarm))
    board = Blackboard.model_validate(
        engine.result(engine.start_swarm("endless", {}, workflow_id="e", queue=None))
    )
    assert not board.consensus.reached
    assert "iteration limit 2" in board.consensus.reason
    assert board.synthesis is not None and len(board.synthesis["findings"]) == 2


def test_time_box_leaves_slow_agents_out(start_engine: StartEngine, ledger: Ledger) -> None:
    """An agent still working when the time box ends is recorded as missing, not waited for."""

    released = threading.Event()

    def slow(view: AgentView) -> AgentReport:
        released.wait(60)  # finishes only when the test lets it: the time box must not wait
        return AgentReport(confidence=1.0)

    swarm = Swarm(
        "boxed",
        (_agent("quick", {1: ["q"]}), SwarmAgent("slow", slow)),
        rules=(ConsensusRule(kind="time_box"),),
        time_box_seconds=0.5,
        max_iterations=3,
    )
    engine = start_engine(Catalog().add(*flows.FAST_QUEUES, swarm))
    try:
        board = Blackboard.model_validate(
            engine.result(engine.start_swarm("boxed", {}, workflow_id="b", queue=None), timeout=30)
        )
    finally:
        released.set()
    assert [c.agent for c in board.contributions] == ["quick"]
    assert board.missing and board.missing[0].startswith("slow@1")
    assert board.consensus.rule == "time_box"


def _contribution(
    agent: str, confidence: float, verdict: str | None, *keys: str, iteration: int = 1
) -> Contribution:
    return Contribution(
        agent=agent,
        iteration=iteration,
        confidence=confidence,
        verdict=verdict,
        findings=[Finding(key=k, message=f"{agent}:{k}", confidence=confidence) for k in keys],
    )


@pytest.mark.parametrize(
    ("rule", "contributions", "reached"),
    [
        (ConsensusRule(kind="confidence", threshold=0.8), [(0.9, None), (0.8, None)], True),
        (ConsensusRule(kind="confidence", threshold=0.8), [(0.9, None), (0.6, None)], False),
        (ConsensusRule(kind="majority"), [(0.5, "ok"), (0.5, "ok"), (0.5, "no")], True),
        (ConsensusRule(kind="majority"), [(0.5, "ok"), (0.5, "no")], False),
        (ConsensusRule(kind="majority"), [(0.5, None), (0.5, None)], False),
    ],
)
def test_consensus_rules(
    rule: ConsensusRule, contributions: list[tuple[float, str | None]], reached: bool
) -> None:
    """Confidence needs the mean at the threshold; a vote needs a strict majority."""
    board = Blackboard(
        artifact={},
        contributions=[_contribution(f"a{i}", c, v) for i, (c, v) in enumerate(contributions)],
    )
    state = decide_consensus(board, [rule], iteration=1, elapsed_seconds=0, time_box_seconds=None)
    assert state.reached is reached


def test_deduplication_keeps_the_most_severe_and_confident() -> None:
    """Findings with one key merge: every reporter kept, the highest severity and confidence."""
    low = Contribution(
        agent="a",
        iteration=1,
        findings=[Finding(key="k", message="low", severity="nit", confidence=0.2)],
    )
    high = Contribution(
        agent="b",
        iteration=1,
        findings=[Finding(key="k", message="high", severity="major", confidence=0.9)],
    )
    [merged] = deduplicate([low, high])
    assert (merged.message, merged.severity, merged.confidence) == ("high", "major", 0.9)
    assert merged.reported_by == ["a", "b"]


def test_swarm_definitions_are_checked() -> None:
    """Agents must be named uniquely and a swarm must allow at least one round."""
    agent = _agent("a", {})
    with pytest.raises(ValueError, match="uniquely"):
        Swarm("twice", (agent, agent))
    with pytest.raises(ValueError, match="max_iterations"):
        Swarm("none", (agent,), max_iterations=0)
