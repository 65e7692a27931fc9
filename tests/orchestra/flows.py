"""Catalogs the orchestration tests run, in-process and in worker subprocesses.

Stages and agents write to the ledger named by ``SPECBOT_TEST_LEDGER``; with
``SPECBOT_TEST_BLOCK=1`` each stage blocks on its first attempt, so a test can kill the worker
while it is inside that stage.
"""

from __future__ import annotations

import os
import time

from pydantic import BaseModel

from bot.orchestra import (
    Catalog,
    Pipeline,
    QueueSpec,
    RetryPolicy,
    Stage,
    StageContext,
    default_queues,
)
from tests.orchestra.ledger import Ledger

FAST_QUEUES = default_queues(polling_interval_seconds=0.05, reviews_per_repository=1)


class Spec(BaseModel):
    text: str


class Plan(BaseModel):
    text: str
    steps: list[str]


class Code(BaseModel):
    text: str
    files: list[str]


class Checked(BaseModel):
    text: str
    files: list[str]
    passed: bool


class Published(BaseModel):
    url: str


def _enter(context: StageContext) -> Ledger:
    """Count the attempt, and on a blocking run hold the first attempt until the worker dies."""
    ledger = Ledger.from_env()
    ledger.record(
        "attempt", f"{context.run_id}:{context.stage}", os.environ.get("SPECBOT_EXECUTOR_ID", "")
    )
    if context.first_attempt:  # what the engine says, checked against the ledger's count
        ledger.record("first", f"{context.run_id}:{context.stage}")
    first = ledger.count("attempt", f"{context.run_id}:{context.stage}") == 1
    if os.environ.get("SPECBOT_TEST_BLOCK") == "1" and first:
        time.sleep(120)
    return ledger


def plan(context: StageContext, spec: BaseModel) -> Plan:
    assert isinstance(spec, Spec)
    ledger = _enter(context)
    ledger.record("effect", f"{context.run_id}:{context.stage}")
    return Plan(text=spec.text, steps=["write", "test"])


def implement(context: StageContext, data: BaseModel) -> Code:
    assert isinstance(data, Plan)
    ledger = _enter(context)
    ledger.record("effect", f"{context.run_id}:{context.stage}")
    return Code(text=data.text, files=[f"{step}.py" for step in data.steps])


def check(context: StageContext, data: BaseModel) -> Checked:
    assert isinstance(data, Code)
    ledger = _enter(context)
    ledger.record("effect", f"{context.run_id}:{context.stage}")
    if "fail-check" in data.text and ledger.count("fixed", context.run_id) == 0:
        raise RuntimeError("tests failed: 2 of 7")
    return Checked(text=data.text, files=data.files, passed=True)


def publish(context: StageContext, data: BaseModel) -> Published:
    assert isinstance(data, Checked)
    ledger = _enter(context)
    ledger.record("effect", f"{context.run_id}:{context.stage}")
    return Published(url=f"https://example.test/pr/{len(data.files)}")


STAGES = (
    Stage("plan", Spec, Plan, plan),
    Stage(
        "implement", Plan, Code, implement, retry=RetryPolicy(max_attempts=3, interval_seconds=0.01)
    ),
    Stage("check", Code, Checked, check, retry=RetryPolicy(max_attempts=2, interval_seconds=0.01)),
    Stage("publish", Checked, Published, publish),
)


def slow(context: StageContext, spec: BaseModel) -> Spec:
    """A stage that takes long enough to be cancelled mid-way."""
    assert isinstance(spec, Spec)
    ledger = Ledger.from_env()
    ledger.record("slow-start", context.run_id)
    time.sleep(1.5)
    ledger.record("slow-end", context.run_id)
    return spec


def after_review(context: StageContext, spec: BaseModel) -> Spec:
    assert isinstance(spec, Spec)
    Ledger.from_env().record("effect", f"{context.run_id}:{context.stage}")
    return Spec(text=f"after {spec.text}")


def members(context: StageContext, spec: BaseModel) -> Spec:
    """Three members, each checkpointed; the first start fails after the first two."""
    assert isinstance(spec, Spec)
    ledger = Ledger.from_env()
    done: list[str] = []
    for name in ("a", "b", "c"):
        kept = context.members.recall(name)
        if kept is None:
            ledger.record("member", f"{context.run_id}:{name}")
            if name == "c" and ledger.count("member", f"{context.run_id}:c") == 1:
                raise RuntimeError("the worker fell over inside member c")
            kept = {"said": f"{name}{len(done)}"}
            context.members.keep(name, kept)
        done.append(str(kept["said"]))
    return Spec(text=" ".join(done))


def hold(context: StageContext, spec: BaseModel) -> Spec:
    """A stage for queue tests: records start and end around a pause."""
    assert isinstance(spec, Spec)
    ledger = Ledger.from_env()
    ledger.record("start", context.run_id, os.environ.get("SPECBOT_EXECUTOR_ID", ""))
    time.sleep(float(os.environ.get("SPECBOT_TEST_HOLD_SECONDS", "0.3")))
    ledger.record("end", context.run_id, os.environ.get("SPECBOT_EXECUTOR_ID", ""))
    return spec


catalog = Catalog().add(
    *FAST_QUEUES,
    # one run per worker at a time: the second repository's runs must go to the other worker
    QueueSpec(
        name="held",
        partition_concurrency=1,
        worker_concurrency=1,
        global_concurrency=4,
        polling_interval_seconds=0.05,
    ),
    Pipeline("four-stages", STAGES),
    Pipeline("hold", [Stage("hold", Spec, Spec, hold)], queue="held"),
    Pipeline("slow", [Stage("slow", Spec, Spec, slow)]),
    Pipeline(
        "review-then-publish",
        [Stage("review", Spec, Spec, child="slow"), Stage("after", Spec, Spec, after_review)],
    ),
    Pipeline(
        "members",
        [
            Stage(
                "members",
                Spec,
                Spec,
                members,
                retry=RetryPolicy(max_attempts=2, interval_seconds=0.01),
            )
        ],
    ),
)
