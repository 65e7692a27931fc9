"""Starting and watching runs from a process that does not execute them (a web front end,
a CLI, a test): it writes to the same database and the workers do the work."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, DBOSPortableJSONSerializer, EnqueueOptions

from bot.adapters.durable._dead_letters import list_dead_letters, retry_dead_letter
from bot.adapters.durable._pipelines import PIPELINE_WORKFLOW
from bot.adapters.durable._run_index import RunIndex
from bot.adapters.durable._settings import FINAL_STATUSES, EngineSettings, RunFailedError, RunInfo
from bot.adapters.durable._tables import create_engine, create_tables
from bot.orchestra import DeadLetter, JsonObject


class EngineClient:
    """Enqueue runs by name and read their outcome, without serving any queue."""

    def __init__(self, settings: EngineSettings, *, create_schema: bool = False) -> None:
        """Connect; ``create_schema`` first creates or migrates the engine's tables.

        A client alone never migrates (DBOS leaves that to launched engines), so a front end
        started before any worker on a new database asks for it.
        """
        self.settings = settings
        if create_schema:
            DBOS.migrate(settings.database_url)
            tables = create_engine(settings.database_url)
            try:
                create_tables(tables)  # specbot's own, the webhook inbox among them
            finally:
                tables.dispose()
        self._client = DBOSClient(
            system_database_url=settings.database_url,
            serializer=DBOSPortableJSONSerializer(),
            application_name=settings.app_name,
        )

    def close(self) -> None:
        """Release the database connections."""
        self._client.destroy()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def enqueue(
        self,
        workflow_name: str,
        queue: str,
        *args: Any,
        workflow_id: str,
        partition: str | None = None,
        priority: int | None = None,
    ) -> str:
        """Enqueue a workflow by its registered name (idempotent per ``workflow_id``)."""
        options: EnqueueOptions = {
            "workflow_name": workflow_name,
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": self.settings.application_version,
        }
        if partition is not None:
            options["queue_partition_key"] = partition
        if priority is not None:
            options["priority"] = priority
        self._client.enqueue(options, *args)
        return workflow_id

    def start_pipeline(
        self, name: str, data: JsonObject, *, workflow_id: str, queue: str = "pipelines", **kw: Any
    ) -> str:
        """Enqueue a pipeline run by name (a repeat of ``workflow_id`` attaches to the first)."""
        return self.enqueue(
            PIPELINE_WORKFLOW, queue, name, data, workflow_id, workflow_id=workflow_id, **kw
        )

    def start_pipeline_in(
        self,
        connection: sa.Connection,
        name: str,
        data: JsonObject,
        *,
        workflow_id: str,
        queue: str = "pipelines",
    ) -> str:
        """Enqueue a pipeline run inside the caller's open transaction on the engine's database.

        The run exists once the caller commits, together with whatever else that transaction
        wrote; a ``workflow_id`` that exists already is left as it is.
        """
        options: EnqueueOptions = {
            "workflow_name": PIPELINE_WORKFLOW,
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": self.settings.application_version,
        }
        self._client.enqueue_in_transaction(connection, options, name, data, workflow_id)
        return workflow_id

    def exists(self, workflow_id: str) -> bool:
        """Whether a run with this id was ever started (or enqueued)."""
        return bool(
            self._client.list_workflows(
                workflow_ids=[workflow_id], load_input=False, load_output=False
            )
        )

    def run_ids(self, prefix: str) -> list[str]:
        """Ids of the top-level runs whose id starts with ``prefix``, oldest first."""
        found = self._client.list_workflows(
            workflow_id_prefix=prefix, has_parent=False, load_input=False, load_output=False
        )
        return [status.workflow_id for status in found]

    def status(self, workflow_id: str) -> str:
        """The run's status."""
        found = self._client.list_workflows(
            workflow_ids=[workflow_id], load_input=False, load_output=False
        )
        if not found:
            raise KeyError(f"no run {workflow_id!r}")
        return str(found[0].status)

    def list_runs(
        self, *, status: str | None = None, prefix: str | None = None, limit: int = 50
    ) -> list[RunInfo]:
        """Top-level runs, newest first, optionally of one status or with an id prefix."""
        found = self._client.list_workflows(
            status=status,
            workflow_id_prefix=prefix,
            has_parent=False,
            limit=limit,
            sort_desc=True,
            load_input=False,
            load_output=False,
        )
        return [
            RunInfo(
                workflow_id=run.workflow_id,
                name=run.name,
                status=str(run.status),
                queue=run.queue_name,
                executor_id=run.executor_id,
                parent=run.parent_workflow_id,
                created_at_ms=run.created_at,
                dequeued_at_ms=run.dequeued_at,
                completed_at_ms=run.completed_at,
            )
            for run in found
        ]

    def result(self, workflow_id: str, *, timeout: float = 60.0) -> Any:
        """Wait for the run to finish and return its output; raise if it failed or was cancelled."""
        deadline = time.monotonic() + timeout
        while (status := self.status(workflow_id)) not in FINAL_STATUSES:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {workflow_id!r} still {status} after {timeout:g} s")
            time.sleep(0.05)
        found = self._client.list_workflows(workflow_ids=[workflow_id])[0]
        if status != "SUCCESS":
            raise RunFailedError(f"run {workflow_id!r} ended {status}: {found.error}")
        return found.output

    def cancel(self, workflow_id: str) -> None:
        """Cancel a run and every run it started."""
        self._client.cancel_workflow(workflow_id, cancel_children=True)
        tables = create_engine(self.settings.database_url)
        try:
            RunIndex(tables).cancelled(workflow_id)
        finally:
            tables.dispose()

    def dead_letters(self) -> list[DeadLetter]:
        """Top-level runs that failed for good and were not retried yet, newest first."""
        return list_dead_letters(self._client)

    def retry(self, workflow_id: str) -> str:
        """Run a dead letter again from its failed step (a worker picks it up)."""
        return retry_dead_letter(self._client, workflow_id)

    def steps(self, workflow_id: str) -> list[str]:
        """Names of the run's recorded steps, in order."""
        return [step["function_name"] for step in self._client.list_workflow_steps(workflow_id)]
