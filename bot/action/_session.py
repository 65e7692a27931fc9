"""One event's flows, run to their end in the step's process on the durable engine.

The same router, flows and catalog as the App, over services that reach GitHub with the
workflow's token and keep the engine's SQLite database under ``RUNNER_TEMP`` (restored from a
cache, it lets a later job resume what a killed one left). The event enters as a delivery of
the ingest pipeline; the step waits until no run is waiting or at work. When the runner stops
the job, ``stop`` makes every agent stop at once, the runs push their work and say how to go
on, and the step waits a short grace for that before it returns.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import SecretStr

from bot.action._runner import RunnerContext
from bot.agents import (
    ModelCall,
    ModelRequest,
    ModelResponse,
    PermanentModelError,
    PriceTable,
    UsageLedger,
)
from bot.settings import Settings
from bot.webhooks import Event

EXECUTOR_ID = "actions"  # the same every job, so a job resumes what an earlier one left
ACTION_INSTALLATION = 0  # an Action has no App installation: its token is the workflow's
POLL_SECONDS = 0.2

log = structlog.get_logger("specbot.action")


@dataclass
class UsageMeter:
    """What this step's model calls used and cost, whichever run made them."""

    ledger: UsageLedger = field(default_factory=lambda: UsageLedger(PriceTable.bundled()))

    def wrap(self, call: ModelCall) -> ModelCall:
        """``call``, with each answer's usage counted here."""

        def counted(request: ModelRequest) -> ModelResponse:
            response = call(request)
            self.ledger.record(request.agent, response.model, response.usage)
            return response

        return counted

    def totals(self) -> tuple[int, int, float]:
        """Input tokens (cache reads and writes included), output tokens and cost in USD."""
        calls = self.ledger.calls()
        fresh = sum(c.usage.input_tokens for c in calls)
        cached = sum(
            c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens for c in calls
        )
        return (
            fresh + cached,
            sum(c.usage.output_tokens for c in calls),
            sum(c.cost_usd for c in calls),
        )


class RecordingRuns:
    """The engine's client, remembering every run the flows start or find already started
    (an event seen before, with the database restored, meets its earlier runs)."""

    def __init__(self, client: Any, calling_run: Callable[[], str | None]) -> None:
        self._client = client
        self._calling_run = calling_run
        self.started: list[tuple[str | None, str]] = []  # (the run that started it, the run)
        self._lock = threading.Lock()

    def start_pipeline(
        self, name: str, data: dict[str, Any], *, workflow_id: str, **options: Any
    ) -> str:
        """Enqueue a pipeline run (a repeat of ``workflow_id`` attaches to the first)."""
        run_id = str(self._client.start_pipeline(name, data, workflow_id=workflow_id, **options))
        with self._lock:
            self.started.append((self._calling_run(), run_id))
        return run_id

    def descendants(self, roots: list[str]) -> list[str]:
        """``roots`` and every run started from them, or from those, in order."""
        family = list(dict.fromkeys(roots))
        with self._lock:
            started = list(self.started)
        for caller, run_id in started:  # a run is recorded after the run that started it
            if caller in family and run_id not in family:
                family.append(run_id)
        return family

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass(frozen=True)
class RunRecord:
    """One top-level run the step started or resumed, as it ended."""

    run_id: str
    flow: str
    status: str
    output: Any
    stages: dict[str, Any]
    error: str | None = None


@dataclass
class StepResult:
    """What the step did: its delivery's run, its runs and those it resumed, refusals, usage,
    interruption, and how many runs were still unfinished when it ended."""

    delivery_run: str
    runs: list[RunRecord]  # the event's own
    resumed: list[RunRecord]  # a killed earlier job's, resumed from the restored database
    refusals: list[str]
    usage: tuple[int, int, float]
    interrupted: bool
    unfinished: int


def action_settings(context: RunnerContext, base: Settings) -> Settings:
    """``base`` (the environment's) pointed at this repository's token, API and database."""
    key = base.anthropic_api_key.get_secret_value() if base.anthropic_api_key else ""
    # Finding markers are signed with a key only the workflow's secrets can make, so a later
    # job trusts its own markers and nobody else's.
    marker_secret = hmac.new(
        (key or context.token).encode(), b"specbot action finding markers", hashlib.sha256
    ).hexdigest()
    budget = context.inputs.budget_usd
    return base.model_copy(
        update={
            "github_api_url": context.api_url,
            "github_token": _secret(context.token),
            "github_webhook_secret": _secret(marker_secret),
            "data_dir": context.data_dir,
            "database_url": f"sqlite:///{context.data_dir / 'specbot.sqlite'}",
            "executor_id": EXECUTOR_ID,
            "run_max_cost_usd": budget if budget is not None else base.run_max_cost_usd,
        }
    )


def _secret(value: str) -> SecretStr:
    return SecretStr(value)


def action_event(event: Event) -> Event:
    """The event as the flows take it: the Action's stand-in for the App's installation;
    ``pull_request_target`` (admitted only where forks are allowed) as the pull request event
    it is about."""
    payload = dict(event.payload)
    payload["installation"] = {"id": ACTION_INSTALLATION}
    name = "pull_request" if event.name == "pull_request_target" else event.name
    return Event(name=name, delivery_id=event.delivery_id, payload=payload)


def run_step(
    context: RunnerContext,
    settings: Settings,
    stop: threading.Event,
    *,
    grace_seconds: float,
    on_progress: Callable[[str], None],
    on_stop: Callable[[], None],
) -> StepResult:
    """Run the event's flows to their end (or, after ``stop``, for ``grace_seconds`` more).

    The step waits for and reports the event's own runs (its delivery and every run the flows
    started or met) and the runs of a killed earlier job that the engine resumed from a
    restored database (same version only: another version's are left, never waited on).
    """
    from bot.adapters.durable import Engine, engine_settings
    from bot.flows import build_catalog
    from bot.ingest import INGEST_PIPELINE, Delivery

    meter = UsageMeter()
    services = _services(context, settings, meter)
    engine = Engine(engine_settings(settings), build_catalog(services))
    event = action_event(context.event)
    delivery_run = f"delivery:{event.delivery_id}"
    if stop.is_set():  # stopped before anything started: start nothing
        services.close()
        return StepResult(delivery_run, [], [], [], meter.totals(), True, 0)
    engine.launch()  # resumes runs a killed job left unfinished in a restored database
    unfinished = 0
    try:
        resumed = engine.unfinished()
        if resumed:
            on_progress(f"resuming {len(resumed)} unfinished run(s) from the restored database")
        if not stop.is_set():
            engine.start_pipeline(INGEST_PIPELINE, Delivery.of(event), workflow_id=delivery_run)

        def watched() -> list[str]:
            # every run of this version still to finish: the event's, the resumed ones, and
            # what they start (event flows included); another version's never run here
            return [delivery_run, *engine.unfinished()]

        interrupted = _wait(engine, services, watched, stop, grace_seconds, on_progress, on_stop)
        own = services.runs.descendants([delivery_run])
        earlier = [run_id for run_id in services.runs.descendants(resumed) if run_id not in own]
        runs = [_record(engine, run_id) for run_id in _top_level(engine, own)]
        resumed_runs = [_record(engine, run_id) for run_id in _top_level(engine, earlier)]
        refusals = [
            str(item.payload.get("reason", ""))
            for item in engine.events.chain(delivery_run)
            if item.event_type == "delivery.refused"
        ]
    finally:
        unfinished = engine.shutdown(drain_seconds=0.0)
        services.close()
    return StepResult(
        delivery_run, runs, resumed_runs, refusals, meter.totals(), interrupted, unfinished
    )


def _services(context: RunnerContext, settings: Settings, meter: UsageMeter) -> Any:
    from bot.adapters.anthropic_model import resilient_model_from_settings
    from bot.adapters.durable import Engine, EngineClient, engine_settings
    from bot.adapters.git import GitWorkspaces
    from bot.adapters.github import token_repo
    from bot.flows import Services

    inputs = context.inputs
    repo = token_repo(
        context.api_url,
        context.token,
        context.repository,
        inputs.bot_login,
        pace_writes=settings.github_pace_writes,
    )

    def repo_for(full_name: str, _installation: int) -> Any:
        if full_name.lower() != context.repository.lower():
            raise PermissionError(f"the workflow's token reaches {context.repository} only")
        return repo

    engine_client = EngineClient(engine_settings(settings))
    client = RecordingRuns(engine_client, Engine.calling_run)
    closers = [engine_client.close]
    call: ModelCall = _no_model
    if settings.anthropic_api_key is not None:  # mode 'gate' runs without: no agent runs
        model = resilient_model_from_settings(settings)
        call, closers = model.complete, [*closers, model.close]
    return Services(
        settings=settings,
        repo_for=repo_for,
        runs=client,
        call_model=meter.wrap(call),
        workspaces=GitWorkspaces(settings.data_dir / "work"),
        closers=closers,
        config_path=inputs.config_path,
        config_overrides=inputs.config_overrides(),
        mention=inputs.mention,
    )


def _no_model(_request: ModelRequest) -> ModelResponse:
    raise PermanentModelError("the anthropic_api_key input is empty: no agent can run")


def _wait(
    engine: Any,
    services: Any,
    watched: Callable[[], list[str]],
    stop: threading.Event,
    grace_seconds: float,
    on_progress: Callable[[str], None],
    on_stop: Callable[[], None],
) -> bool:
    """Until none of the ``watched`` runs is waiting or at work; True when ``stop`` came
    first (the runs then get ``grace_seconds`` to push their work and say so)."""
    shown: set[str] = set()
    deadline: float | None = None
    while True:
        active = [run_id for run_id in dict.fromkeys(watched()) if _active(engine, run_id)]
        for run_id in active:
            if run_id not in shown:
                shown.add(run_id)
                on_progress(f"run {run_id}")
        if not active:
            return deadline is not None
        if deadline is None and stop.is_set():
            services.stop("the workflow job was stopped (cancelled, or out of time)")
            on_stop()  # agents' shells and test runs end now; their agents stop next
            deadline = time.monotonic() + grace_seconds
            on_progress(f"stopping: the runs get {grace_seconds:g} s to push their work")
        if deadline is not None and time.monotonic() >= deadline:
            return True
        time.sleep(POLL_SECONDS)


def _active(engine: Any, run_id: str) -> bool:
    try:
        return engine.status(run_id) in ("ENQUEUED", "PENDING")
    except KeyError:  # not written yet: the delivery's run is being enqueued
        return True


def _top_level(engine: Any, run_ids: list[str]) -> list[str]:
    """The runs among ``run_ids`` that exist and were started by no other run, in order."""
    found = []
    for run_id in dict.fromkeys(run_ids):
        try:
            if engine.describe(run_id).parent is None:
                found.append(run_id)
        except KeyError:
            continue
    return found


def _record(engine: Any, run_id: str) -> RunRecord:
    info = engine.describe(run_id)
    output: Any = None
    error: str | None = None
    if info.status == "SUCCESS":
        output = engine.result(run_id, timeout=0.0)
    elif info.status not in ("ENQUEUED", "PENDING"):
        try:
            engine.result(run_id, timeout=0.0)
        except Exception as exc:  # the run's failure, said in the summary
            error = str(exc)[:500]
    flow = run_id.partition(":")[0]  # spec, review, follow-up, delivery, ...
    return RunRecord(run_id, flow, info.status, output, engine.stage_outputs(run_id), error)
