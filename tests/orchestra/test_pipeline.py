"""The pipeline pattern: typed stages, stored outputs, retries, dead letters, back-pressure."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from bot.adapters.durable import RunFailedError
from bot.orchestra import (
    BackpressureError,
    Catalog,
    ContractError,
    Pipeline,
    QueueSpec,
    RateLimit,
    Stage,
    StageContext,
    StageInputError,
)
from tests.orchestra import flows
from tests.orchestra.conftest import StartEngine
from tests.orchestra.ledger import Ledger

STAGE_NAMES = ["plan", "implement", "check", "publish"]


def test_four_stages_chain_their_contracts(start_engine: StartEngine, ledger: Ledger) -> None:
    """Each stage's output feeds the next and the last output is the run's result."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline("four-stages", flows.Spec(text="add login"), workflow_id="run-1")
    assert engine.result(run, timeout=30) == {"url": "https://example.test/pr/2"}
    for stage in STAGE_NAMES:
        assert ledger.count("effect", f"run-1:{stage}") == 1


def test_same_run_started_three_times_runs_once(start_engine: StartEngine, ledger: Ledger) -> None:
    """Starting a run three times with one id gives one run and one side effect per stage."""
    engine = start_engine(flows.catalog)
    ids = [
        engine.start_pipeline("four-stages", {"text": "x"}, workflow_id="spec:acme/w#1:abc")
        for _ in range(3)
    ]
    assert set(ids) == {"spec:acme/w#1:abc"}
    engine.result(ids[0], timeout=30)
    engine.start_pipeline("four-stages", {"text": "x"}, workflow_id="spec:acme/w#1:abc")
    assert ledger.count("effect") == 4
    assert ledger.count("attempt") == 4


def test_failed_stage_goes_to_dead_letters_and_retry_resumes_there(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A stage failing past its retries lands in dead letters with its reason; a retry runs
    from that stage without redoing the stages before it."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline("four-stages", {"text": "fail-check"}, workflow_id="run-dl")
    with pytest.raises(RunFailedError, match="tests failed: 2 of 7"):
        engine.result(run, timeout=30)
    [letter] = engine.dead_letters()
    assert letter.workflow_id == "run-dl"
    assert "stage 'check'" in letter.reason and "tests failed: 2 of 7" in letter.reason
    assert letter.failed_step == "stage:2:check"
    assert ledger.count("attempt", "run-dl:check") == 2  # the stage's retry policy: 2 attempts

    ledger.record("fixed", "run-dl")
    retried = engine.retry("run-dl")
    assert engine.result(retried, timeout=30) == {"url": "https://example.test/pr/2"}
    assert ledger.count("attempt", "run-dl:plan") == 1
    assert ledger.count("attempt", "run-dl:implement") == 1
    assert engine.dead_letters() == []
    with pytest.raises(KeyError):
        engine.retry("run-dl")


def test_contracts_are_checked_when_the_pipeline_is_declared() -> None:
    """A stage whose input is not the previous stage's output is refused at declaration."""
    with pytest.raises(ContractError, match="'plan' outputs Plan but 'publish' takes Checked"):
        Pipeline("broken", [flows.STAGES[0], flows.STAGES[3]])
    with pytest.raises(ContractError, match="repeat"):
        Pipeline("twice", [flows.STAGES[0], Stage("plan", flows.Plan, flows.Plan, flows.plan)])


def test_bad_input_is_refused_before_anything_runs(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Input that breaks the first stage's contract is refused with the stage named."""
    engine = start_engine(flows.catalog)
    with pytest.raises(StageInputError, match="stage 'plan'"):
        engine.start_pipeline("four-stages", {"txt": "typo"}, workflow_id="run-bad")
    assert not engine.exists("run-bad")


class Wrong(BaseModel):
    """Not the contract of any stage."""

    nothing: int = 0


def test_stage_returning_the_wrong_model_fails_the_run(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """A stage function that breaks its output contract fails with a contract error."""

    def liar(context: object, spec: BaseModel) -> BaseModel:
        return Wrong()

    catalog = Catalog().add(
        *flows.FAST_QUEUES, Pipeline("liar", [Stage("lie", flows.Spec, flows.Plan, liar)])
    )
    engine = start_engine(catalog)
    run = engine.start_pipeline("liar", {"text": "x"}, workflow_id="run-liar")
    with pytest.raises(RunFailedError, match="returned Wrong, expected Plan"):
        engine.result(run, timeout=30)


def test_full_queue_refuses_more_work(
    start_engine: StartEngine, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queue holding its limit of waiting runs refuses the next one (back-pressure)."""
    monkeypatch.setenv("SPECBOT_TEST_HOLD_SECONDS", "1.0")
    catalog = Catalog().add(
        *flows.FAST_QUEUES,
        QueueSpec(
            name="narrow", global_concurrency=1, max_waiting=2, polling_interval_seconds=0.05
        ),
        Pipeline("hold", [Stage("hold", flows.Spec, flows.Spec, flows.hold)], queue="narrow"),
    )
    engine = start_engine(catalog)
    first = engine.start_pipeline("hold", {"text": "a"}, workflow_id="hold-1")
    ledger.wait_for("start", "hold-1")
    engine.start_pipeline("hold", {"text": "b"}, workflow_id="hold-2")
    engine.start_pipeline("hold", {"text": "c"}, workflow_id="hold-3")
    with pytest.raises(BackpressureError, match="'narrow' holds 2 waiting runs"):
        engine.start_pipeline("hold", {"text": "d"}, workflow_id="hold-4")
    assert engine.start_pipeline("hold", {"text": "b"}, workflow_id="hold-2") == "hold-2"
    engine.result(first, timeout=30)


def test_stages_share_a_rate_limited_budget(start_engine: StartEngine, ledger: Ledger) -> None:
    """Stages throttled on one budget of 2 calls per 0.5 s make 5 calls over at least 1 s."""

    def call_model(context: StageContext, spec: BaseModel) -> BaseModel:
        for _ in range(5):
            context.throttle("model")
            Ledger.from_env().record("model-call", context.run_id)
        return spec

    catalog = Catalog().add(
        *flows.FAST_QUEUES,
        Pipeline("chatty", [Stage("chat", flows.Spec, flows.Spec, call_model)]),
    )
    catalog.rate_limits["model"] = RateLimit(limit=2, period_seconds=0.5)
    engine = start_engine(catalog)
    engine.result(engine.start_pipeline("chatty", {"text": "x"}, workflow_id="chat", queue=None))
    times = [at for _, _, at in ledger.rows("model-call")]
    assert len(times) == 5
    assert times[2] - times[0] >= 0.45 and times[4] - times[0] >= 0.95
    with pytest.raises(KeyError, match="no rate limit named 'ghost'"):
        engine.throttle("ghost")


def test_a_stage_can_be_a_child_pipeline(start_engine: StartEngine, ledger: Ledger) -> None:
    """A stage run as a child pipeline hands its output to the next stage, checked by contract."""
    engine = start_engine(flows.catalog)
    run = engine.start_pipeline(
        "review-then-publish", {"text": "x"}, workflow_id="with-child", queue=None
    )
    result = engine.result(run, timeout=30)
    assert result == {"text": "after x"}
    assert engine.children(run) == ["with-child/review"]
    assert ledger.count("effect", "with-child:after") == 1
    assert ledger.count("slow-end") == 1


def test_a_stage_started_again_runs_only_its_unfinished_members(
    start_engine: StartEngine, ledger: Ledger
) -> None:
    """Members whose results were kept are not run again when their stage starts over."""
    engine = start_engine(flows.catalog)
    result = engine.result(
        engine.start_pipeline("members", {"text": "x"}, workflow_id="m", queue=None), timeout=30
    )
    assert result == {"text": "a0 b1 c2"}
    assert [ledger.count("member", f"m:{name}") for name in "abc"] == [1, 1, 2]
