"""The durable engine (DBOS): launch, queues, runs, cancellation, dead letters and recovery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from dbos import (
    DBOS,
    DBOSConfig,
    DBOSPortableJSONSerializer,
    SetEnqueueOptions,
    SetWorkflowID,
)
from dbos._error import DBOSAwaitedWorkflowCancelledError, DBOSWorkflowCancelledError
from pydantic import BaseModel

from bot.adapters.durable import _runtime
from bot.adapters.durable._attempts import StageAttempts
from bot.adapters.durable._bus import EventBus
from bot.adapters.durable._dead_letters import list_dead_letters, retry_dead_letter
from bot.adapters.durable._pipelines import pipeline_workflow
from bot.adapters.durable._run_index import RunIndex
from bot.adapters.durable._settings import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    EngineSettings,
    RunFailedError,
    RunInfo,
)
from bot.adapters.durable._tables import (
    EventLog,
    RateGate,
    WorkerRoster,
    create_engine,
    create_tables,
)
from bot.agents.tools import Redactor
from bot.orchestra import (
    BackpressureError,
    Catalog,
    DeadLetter,
    Event,
    JsonObject,
    QueueSpec,
)

_CANCELLED = (DBOSAwaitedWorkflowCancelledError, DBOSWorkflowCancelledError)


class _QuietCancellations(logging.Filter):
    """Drops the engine's traceback for a run that was cancelled: a deadline or a newer push
    ending a run is the design working, and the run's own record says so."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, _CANCELLED):
            return False
        # A cancelled run's step that finishes late finds its run taken over: said per step.
        return "is no longer owned by this execution" not in record.getMessage()


_QUIET_CANCELLATIONS = _QuietCancellations()


class Engine:
    """One process's handle on the durable engine: launch it once, then start and watch runs."""

    def __init__(self, settings: EngineSettings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog
        self._tables = create_engine(settings.database_url)
        self.events = EventLog(self._tables)
        self.index = RunIndex(self._tables)
        self.redactor = Redactor(settings.secrets)
        self.roster = WorkerRoster(self._tables)
        self.attempts = StageAttempts(self._tables)
        self.rates = RateGate(
            self._tables,
            {name: (rate.limit, rate.period_seconds) for name, rate in catalog.rate_limits.items()},
        )
        self._stop = threading.Event()
        self.bus = EventBus(catalog, self.events, settings, self.enqueue)
        self._monitor: threading.Thread | None = None
        self.recovered: list[str] = []

    # lifecycle -------------------------------------------------------------------------------
    def launch(self) -> None:
        """Start the engine: recover this worker's own unfinished runs, register queues, beat."""
        _runtime.bind(self)
        try:
            create_tables(self._tables)
            config: DBOSConfig = {
                "name": self.settings.app_name,
                "system_database_url": self.settings.database_url,
                "application_version": self.settings.application_version,
                "executor_id": self.settings.executor_id,
                "serializer": DBOSPortableJSONSerializer(),
                "log_level": self.settings.log_level,
                "notification_listener_polling_interval_sec": 0.1,
            }
            DBOS(config=config)
            logging.getLogger("dbos").addFilter(_QUIET_CANCELLATIONS)  # idempotent: one instance
            DBOS.launch()
            for spec in self._queue_specs():
                _register_queue(spec)
        except BaseException:
            _runtime.unbind(self)
            DBOS.destroy(destroy_registry=False)
            raise
        self.roster.beat(self.settings.executor_id, self.settings.application_version)
        self._stop.clear()
        self._monitor = threading.Thread(target=self._watch_workers, name="specbot-heartbeat")
        self._monitor.daemon = True
        self._monitor.start()

    def shutdown(self, *, drain_seconds: float = 0.0) -> int:
        """Wait up to ``drain_seconds`` for this worker's runs to finish, then stop.

        The queues keep feeding the worker during the drain (DBOS has no public way to pause
        them), which is harmless: whatever is unfinished is recovered. Returns how many runs
        were still unfinished. Those stay on record under this worker:
        it resumes them when it restarts, or, if it never does, another worker takes them
        over once this one has been silent for ``dead_after_seconds``. Their threads cannot be
        stopped from outside, so a worker process that must exit now ends with ``os._exit``.
        """
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=10)
            self._monitor = None
        unfinished = self._wait_for_own_runs(drain_seconds)
        DBOS.destroy(destroy_registry=False)
        _runtime.unbind(self)
        self.bus.close()
        if not unfinished:
            try:
                self.roster.leave(self.settings.executor_id)
            except Exception as exc:  # the database may be gone; the roster entry then expires
                DBOS.logger.warning(f"could not leave the worker roster: {exc}")
        self._tables.dispose()
        return unfinished

    def _wait_for_own_runs(self, drain_seconds: float) -> int:
        deadline = time.monotonic() + drain_seconds
        while True:
            try:
                pending = DBOS.list_workflows(
                    status="PENDING",
                    executor_id=self.settings.executor_id,
                    load_input=False,
                    load_output=False,
                )
            except Exception:  # no database to ask: count nothing, keep the roster entry
                return 1
            if not pending or time.monotonic() >= deadline:
                return len(pending)
            time.sleep(0.1)

    def __enter__(self) -> Engine:
        self.launch()
        return self

    def __exit__(self, *_: object) -> None:
        self.shutdown()

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """For FastAPI's ``lifespan=``: launch on startup, shut down on exit (off the loop)."""
        import asyncio

        await asyncio.to_thread(self.launch)
        try:
            yield
        finally:
            await asyncio.to_thread(self.shutdown)

    def _queue_specs(self) -> list[QueueSpec]:
        return list(self.catalog.queues.values())

    # starting runs ---------------------------------------------------------------------------
    def start_pipeline(
        self, name: str, data: BaseModel | JsonObject, *, workflow_id: str, **options: Any
    ) -> str:
        """Enqueue a pipeline run (on the pipeline's queue unless ``queue=`` says otherwise)."""
        pipeline = self.catalog.pipeline(name)
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        pipeline.stages[0].parse_input(payload)
        queue = options.pop("queue", pipeline.queue)
        return self.enqueue(
            queue, pipeline_workflow, name, payload, workflow_id, workflow_id=workflow_id, **options
        )

    def enqueue(
        self,
        queue: str | None,
        workflow: Callable[..., Any],
        *args: Any,
        workflow_id: str,
        partition: str | None = None,
        priority: int | None = None,
    ) -> str:
        """Enqueue ``workflow`` once per ``workflow_id``: a repeat returns the existing run.

        ``queue=None`` starts the run at once in this process, outside any queue's limits.
        """
        if self.exists(workflow_id):
            return workflow_id
        if queue is None:
            with SetWorkflowID(workflow_id):
                DBOS.start_workflow(workflow, *args)
            return workflow_id
        spec = self.catalog.queue(queue)
        if spec.is_partitioned and not partition:
            raise ValueError(f"queue {queue!r} is partitioned: give partition= (e.g. the repo)")
        if spec.max_waiting is not None:
            self._check_backpressure(spec)
        with (
            SetWorkflowID(workflow_id),
            SetEnqueueOptions(
                queue_partition_key=partition if spec.is_partitioned else None, priority=priority
            ),
        ):
            DBOS.enqueue_workflow(queue, workflow, *args)
        return workflow_id

    def _check_backpressure(self, spec: QueueSpec) -> None:
        waiting = DBOS.list_queued_workflows(
            queue_name=spec.name, status="ENQUEUED", load_input=False, load_output=False
        )
        if spec.max_waiting is not None and len(waiting) >= spec.max_waiting:
            raise BackpressureError(
                f"queue {spec.name!r} holds {len(waiting)} waiting runs "
                f"(limit {spec.max_waiting}); retry later"
            )

    # watching runs ---------------------------------------------------------------------------
    def exists(self, workflow_id: str) -> bool:
        """Whether a run with this id was ever started."""
        return bool(
            DBOS.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False)
        )

    def run_ids(self, prefix: str) -> list[str]:
        """Ids of the top-level runs whose id starts with ``prefix``, oldest first."""
        found = DBOS.list_workflows(
            workflow_id_prefix=prefix, has_parent=False, load_input=False, load_output=False
        )
        return [status.workflow_id for status in found]

    def status(self, workflow_id: str) -> str:
        """The run's status: ``ENQUEUED``, ``PENDING``, ``SUCCESS``, ``ERROR``, ``CANCELLED``..."""
        found = DBOS.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False)
        if not found:
            raise KeyError(f"no run {workflow_id!r}")
        return str(found[0].status)

    def describe(self, workflow_id: str) -> RunInfo:
        """Where a run stands and when it was created, taken off its queue and finished."""
        found = DBOS.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False)
        if not found:
            raise KeyError(f"no run {workflow_id!r}")
        status = found[0]
        return RunInfo(
            workflow_id=workflow_id,
            name=status.name,
            status=str(status.status),
            queue=status.queue_name,
            executor_id=status.executor_id,
            parent=status.parent_workflow_id,
            created_at_ms=status.created_at,
            dequeued_at_ms=status.dequeued_at,
            completed_at_ms=status.completed_at,
        )

    def result(self, workflow_id: str, *, timeout: float = 60.0) -> Any:
        """Wait for the run to finish and return its output; raise if it failed or was cancelled."""
        deadline = time.monotonic() + timeout
        while (status := self.status(workflow_id)) not in FINAL_STATUSES:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {workflow_id!r} still {status} after {timeout:g} s")
            time.sleep(0.05)
        found = DBOS.list_workflows(workflow_ids=[workflow_id])[0]
        if status != "SUCCESS":
            raise RunFailedError(f"run {workflow_id!r} ended {status}: {found.error}")
        return found.output

    def steps(self, workflow_id: str) -> list[str]:
        """Names of the run's recorded steps, in order."""
        return [step["function_name"] for step in DBOS.list_workflow_steps(workflow_id)]

    def unfinished(self) -> list[str]:
        """Ids of this version's runs still waiting or at work, children included, oldest
        first (another version's are never run here: waiting on them would never end)."""
        found = DBOS.list_workflows(
            status=["ENQUEUED", "PENDING"],
            app_version=self.settings.application_version,
            load_input=False,
            load_output=False,
        )
        return [status.workflow_id for status in found]

    @staticmethod
    def calling_run() -> str | None:
        """The id of the run whose step is calling (None outside a run's step)."""
        found = DBOS.workflow_id
        return str(found) if found else None

    def stage_outputs(self, workflow_id: str) -> dict[str, Any]:
        """What each finished stage of a pipeline run returned, by stage name."""
        return {
            str(step["function_name"]).rpartition(":")[2]: step["output"]  # "stage:1:review"
            for step in DBOS.list_workflow_steps(workflow_id)
            if str(step["function_name"]).startswith("stage:") and step.get("error") is None
        }

    def children(self, workflow_id: str) -> list[str]:
        """Ids of the runs started by this run."""
        found = DBOS.list_workflows(
            parent_workflow_id=workflow_id, load_input=False, load_output=False
        )
        return [status.workflow_id for status in found]

    # cancellation ----------------------------------------------------------------------------
    def cancel(self, workflow_id: str) -> None:
        """Cancel a run and every run it started."""
        DBOS.cancel_workflow(workflow_id, cancel_children=True)
        self.index.cancelled(workflow_id)

    def supersede(self, prefix: str, keep: str) -> list[str]:
        """Cancel unfinished runs whose id starts with ``prefix``, except ``keep`` (a newer push
        cancels the older review)."""
        found = DBOS.list_workflows(
            workflow_id_prefix=prefix,
            status=ACTIVE_STATUSES,
            has_parent=False,
            load_input=False,
            load_output=False,
        )
        cancelled = [status.workflow_id for status in found if status.workflow_id != keep]
        for workflow_id in cancelled:
            self.cancel(workflow_id)
        return cancelled

    # dead letters ----------------------------------------------------------------------------
    def dead_letters(self) -> list[DeadLetter]:
        """Top-level runs that failed for good and were not retried yet, newest first."""
        return list_dead_letters(DBOS)

    def retry(self, workflow_id: str) -> str:
        """Run a dead letter again from its failed step; the steps before it are not redone."""
        return retry_dead_letter(DBOS, workflow_id)

    # events ----------------------------------------------------------------------------------
    def publish(self, event: Event) -> list[str]:
        """Log ``event`` and deliver it to each matching subscriber (idempotent by event id)."""
        return self.bus.publish(event)

    def replay(self, correlation_id: str, subscriber: str) -> list[Event]:
        """Feed a run's logged events to one subscriber's handler again (see ``EventBus``)."""
        return self.bus.replay(correlation_id, subscriber)

    def throttle(self, name: str) -> float:
        """Wait for the shared budget ``name`` (across all workers); returns seconds waited."""
        return self.rates.acquire(name)

    # workers ---------------------------------------------------------------------------------
    def _watch_workers(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                self.roster.beat(self.settings.executor_id, self.settings.application_version)
                self.recovered.extend(self.recover_dead_workers())
            except Exception as exc:  # keep beating: a database hiccup must not stop the worker
                DBOS.logger.warning(f"specbot heartbeat failed: {type(exc).__name__}: {exc}")

    def recover_dead_workers(self) -> list[str]:
        """Re-queue the unfinished runs of workers silent for too long; returns the run ids."""
        me = self.settings.executor_id
        resumed: list[str] = []
        for executor_id in self.roster.claim_dead(self.settings.dead_after_seconds, me=me):
            try:
                resumed.extend(self._resume_runs_of(executor_id))
            except Exception:
                # Put the claim back so the next check tries again: dropping it would strand
                # the runs not resumed yet.
                self.roster.release(executor_id, self.settings.application_version)
                raise
        return resumed

    def _resume_runs_of(self, executor_id: str) -> list[str]:
        pending = DBOS.list_workflows(
            status="PENDING", executor_id=executor_id, load_input=False, load_output=False
        )
        for status in pending:
            # Back onto its own queue, so the queue's limits and partition still hold.
            DBOS.resume_workflow(status.workflow_id, queue_name=status.queue_name)
        DBOS.logger.info(f"recovered {len(pending)} run(s) of dead worker {executor_id}")
        return [status.workflow_id for status in pending]


def _register_queue(spec: QueueSpec) -> None:
    limiter = None
    if spec.rate_limit is not None:
        limiter = {"limit": spec.rate_limit.limit, "period": spec.rate_limit.period_seconds}
    DBOS.register_queue(
        spec.name,
        global_concurrency=spec.global_concurrency,
        worker_concurrency=spec.worker_concurrency,
        partition_concurrency=spec.partition_concurrency,
        limiter=limiter,  # type: ignore[arg-type]
        polling_interval_sec=spec.polling_interval_seconds,
        # Only the newest deployed version rewrites a queue's limits, so an old worker still
        # draining during a rolling deploy cannot undo them.
        on_conflict="update_if_latest_version",
    )
