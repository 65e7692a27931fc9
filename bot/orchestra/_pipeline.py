"""Pipeline pattern: stages with typed contracts, run one after the other.

The definitions here are pure data plus the stage functions; the durable engine turns each stage
into a checkpointed step (or a child workflow) so a run resumes after its last finished stage.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from bot.orchestra._contracts import NO_RETRY, JsonObject, RetryPolicy, dump_json
from bot.orchestra._events import Event

_EVENTS = uuid.UUID("0d8f3f52-5c8e-4d0b-9a55-8c1f7a3e6b21")


class ContractError(ValueError):
    """Two adjacent stages do not agree on the data they hand over."""


class StageInputError(ValueError):
    """The data handed to a stage does not satisfy the stage's input contract."""


class MemberCheckpoints(Protocol):
    """The results of a stage's members, kept across the stage's starts: a member whose result
    is kept is not run again when a crashed or retried stage starts over."""

    def recall(self, member: str) -> JsonObject | None:
        """The kept result of ``member``, or None if it has not finished yet."""

    def keep(self, member: str, result: JsonObject) -> None:
        """Keep ``member``'s result (the first kept result wins)."""


class InMemoryCheckpoints:
    """Checkpoints for one start only (a stage run outside the durable engine)."""

    def __init__(self) -> None:
        self._results: dict[str, JsonObject] = {}

    def recall(self, member: str) -> JsonObject | None:
        """The result kept in this process, if any."""
        return self._results.get(member)

    def keep(self, member: str, result: JsonObject) -> None:
        """Keep ``member``'s result unless one is kept already."""
        self._results.setdefault(member, result)


@dataclass(frozen=True)
class StageContext:
    """What a stage knows about its run (to make side effects idempotent), and the shared
    rate limits its calls go through (``throttle("model")`` before a model request)."""

    run_id: str
    pipeline: str
    stage: str
    index: int
    limiter: Callable[[str], object] | None = None
    emitter: Callable[[Event], object] | None = None
    attempt: int = 0  # which start of this stage in this run (1: the first); 0: not counted
    members: MemberCheckpoints = field(default_factory=InMemoryCheckpoints)

    @property
    def first_attempt(self) -> bool:
        """True only when no earlier start of this stage can have left an effect behind."""
        return self.attempt == 1

    def throttle(self, name: str) -> None:
        """Wait until the shared budget ``name`` (``model``, ``github``) allows one more call."""
        if self.limiter is not None:
            self.limiter(name)

    def emit(
        self,
        event_type: str,
        payload: JsonObject | None = None,
        *,
        seq: int = 0,
        new_chain: bool = False,
    ) -> Event:
        """Publish an event in this run's chain (its correlation id is the run id), or as the
        root of a chain of its own (``new_chain``: what subscribers cause is counted there).

        The id is derived from the run, stage, type and ``seq``, so a retried stage publishes
        the same event again rather than a second one.
        """
        event_id = str(uuid.uuid5(_EVENTS, f"{self.run_id}/{self.stage}/{event_type}/{seq}"))
        event = Event(
            event_id=event_id,
            event_type=event_type,
            source_agent=f"{self.pipeline}.{self.stage}",
            payload=payload or {},
            correlation_id=event_id if new_chain else self.run_id,
        )
        if self.emitter is not None:
            self.emitter(event)
        return event

    @property
    def idempotency_key(self) -> str:
        """A key that is the same on every attempt of this stage in this run."""
        return f"{self.run_id}/{self.index}:{self.stage}"


# The stage running in this thread, so what it does deep down (an agent's model call, a write
# to GitHub) is recorded in its run's event log without every function passing it along.
_CURRENT_STAGE: contextvars.ContextVar[StageContext | None] = contextvars.ContextVar(
    "specbot_current_stage", default=None
)


@contextmanager
def current_stage(context: StageContext) -> Iterator[None]:
    """Make ``context`` the running stage of this thread while the block runs."""
    token = _CURRENT_STAGE.set(context)
    try:
        yield
    finally:
        _CURRENT_STAGE.reset(token)


def running_stage() -> StageContext | None:
    """The stage running in this thread (None outside one)."""
    return _CURRENT_STAGE.get()


StageFunction = Callable[[StageContext, Any], BaseModel]


@dataclass(frozen=True)
class Stage:
    """One stage: an input model, an output model, and either a function or a child pattern.

    ``child`` names another registered pipeline that runs as a child
    workflow instead of ``run``; its input and output must then match this stage's contract.
    """

    name: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: StageFunction | None = None
    child: str | None = None
    retry: RetryPolicy = field(default=NO_RETRY)

    def __post_init__(self) -> None:
        if (self.run is None) == (self.child is None):
            raise ValueError(f"stage {self.name!r}: give exactly one of run= or child=")

    def parse_input(self, data: JsonObject) -> BaseModel:
        """Validate ``data`` against the input contract, with the stage's name in the error."""
        try:
            return self.input_model.model_validate(data)
        except ValidationError as exc:
            raise StageInputError(f"stage {self.name!r}: input rejected: {exc}") from exc

    def execute(self, context: StageContext, data: JsonObject) -> JsonObject:
        """Run the stage function on validated input and return its output as JSON data."""
        if self.run is None:
            raise RuntimeError(f"stage {self.name!r} runs as a child workflow")
        output = self.run(context, self.parse_input(data))
        if not isinstance(output, self.output_model):
            raise ContractError(
                f"stage {self.name!r} returned {type(output).__name__}, "
                f"expected {self.output_model.__name__}"
            )
        return dump_json(output)


@dataclass(frozen=True)
class Pipeline:
    """An ordered list of stages whose contracts chain: each output is the next input."""

    name: str
    stages: tuple[Stage, ...]
    queue: str = "pipelines"

    def __init__(self, name: str, stages: Sequence[Stage], queue: str = "pipelines") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "stages", tuple(stages))
        object.__setattr__(self, "queue", queue)
        check_contracts(self)

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"pipeline {self.name!r} has no stage {name!r}")


def check_contracts(pipeline: Pipeline) -> None:
    """Refuse a pipeline whose stage names repeat or whose adjacent contracts differ."""
    if not pipeline.stages:
        raise ContractError(f"pipeline {pipeline.name!r} has no stages")
    names = [stage.name for stage in pipeline.stages]
    if len(set(names)) != len(names):
        raise ContractError(f"pipeline {pipeline.name!r}: stage names repeat: {names}")
    for before, after in zip(pipeline.stages, pipeline.stages[1:], strict=False):
        if before.output_model is not after.input_model:
            raise ContractError(
                f"pipeline {pipeline.name!r}: {before.name!r} outputs "
                f"{before.output_model.__name__} but {after.name!r} takes "
                f"{after.input_model.__name__}"
            )


class DeadLetter(BaseModel):
    """A run that failed for good, with why, so a person can read it and retry it."""

    workflow_id: str
    name: str
    reason: str
    error_type: str
    failed_step: str | None
    failed_step_id: int | None
    queue: str | None
    created_at_ms: int | None
