"""``specbot runs``: look at durable runs and act on them from any machine that reaches the
database: the runs (newest first, by status or id prefix), the dead-letter list, retry of a
dead letter, cancellation, status, and the webhook inbox (deliveries stored by ``serve`` and
when their runs started)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.adapters.durable import EngineClient

runs_app = typer.Typer(
    name="runs",
    help="Runs, dead letters, retries, cancellation and status; the webhook inbox.",
    no_args_is_help=True,
)


def _first_line(exc: Exception) -> str:
    """The error without the driver's class prefix and SQLAlchemy's background link."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


@contextmanager
def _client() -> Iterator[EngineClient]:
    import sqlalchemy as sa

    from bot.adapters.durable import EngineClient, engine_settings
    from bot.settings import Settings

    settings = engine_settings(Settings(), executor_id="specbot-cli")
    # The engine logs its own connection errors; the one line below says it for this command.
    logging.getLogger("dbos").setLevel(logging.CRITICAL)
    try:
        client = EngineClient(settings)
    except Exception as exc:
        shown = sa.make_url(settings.database_url).render_as_string(hide_password=True)
        typer.echo(
            f"specbot runs: cannot open the run database {shown}: {_first_line(exc)}", err=True
        )
        raise typer.Exit(2) from None
    try:
        yield client
    finally:
        client.close()


RUN_STATUSES = (
    "ENQUEUED",
    "PENDING",
    "SUCCESS",
    "ERROR",
    "CANCELLED",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED",
)


@runs_app.command("list")
def list_runs(
    status: Annotated[
        str | None,
        typer.Option("--status", help=f"Only runs in this status: {', '.join(RUN_STATUSES)}."),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Only runs whose id starts with this, e.g. delivery:."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many runs.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List runs, newest first: id, status, when it started and which worker ran it."""
    wanted = status.strip().upper() if status is not None else None
    if wanted is not None and wanted not in RUN_STATUSES:
        typer.echo(
            f"specbot runs: --status {status!r} is not a status; one of {', '.join(RUN_STATUSES)}",
            err=True,
        )
        raise typer.Exit(2)
    with _client() as client:
        runs = client.list_runs(status=wanted, prefix=prefix or None, limit=limit)
    if as_json:
        typer.echo(json.dumps([run.__dict__ for run in runs], indent=2))
        return
    if not runs:
        typer.echo("no runs" if wanted is None and not prefix else "no run matches")
    for run in runs:
        created = _clock(run.created_at_ms) if run.created_at_ms is not None else "-"
        typer.echo(f"{created}  {run.status:<9}  {run.workflow_id}  ({run.executor_id or '-'})")


@runs_app.command("dead-letters")
def dead_letters(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List runs that failed for good, with their reason and failed step."""
    with _client() as client:
        letters = client.dead_letters()
    if as_json:
        typer.echo(json.dumps([letter.model_dump(mode="json") for letter in letters], indent=2))
        return
    if not letters:
        typer.echo("no dead letters")
    for letter in letters:
        typer.echo(f"{letter.workflow_id}  [{letter.failed_step or '-'}]  {letter.reason}")


@runs_app.command("retry")
def retry(
    workflow_id: Annotated[str, typer.Argument(help="A run in the dead-letter list.")],
) -> None:
    """Run a dead letter again from its failed step; prints the new run's id."""
    with _client() as client:
        try:
            new_id = client.retry(workflow_id)
        except KeyError as exc:
            typer.echo(f"specbot runs: {exc.args[0]}", err=True)
            raise typer.Exit(2) from None
    typer.echo(new_id)


@runs_app.command("cancel")
def cancel(workflow_id: Annotated[str, typer.Argument(help="The run to cancel.")]) -> None:
    """Cancel a run and every run it started."""
    with _client() as client:
        try:
            client.status(workflow_id)
        except KeyError as exc:
            typer.echo(f"specbot runs: {exc.args[0]}", err=True)
            raise typer.Exit(2) from None
        client.cancel(workflow_id)
    typer.echo(f"cancelled {workflow_id}")


@runs_app.command("status")
def status(workflow_id: Annotated[str, typer.Argument(help="The run to look at.")]) -> None:
    """Print the run's status (ENQUEUED, PENDING, SUCCESS, ERROR, CANCELLED)."""
    with _client() as client:
        try:
            typer.echo(client.status(workflow_id))
        except KeyError as exc:
            typer.echo(f"specbot runs: {exc.args[0]}", err=True)
            raise typer.Exit(2) from None


@runs_app.command("inbox")
def inbox(
    pending: Annotated[
        bool, typer.Option("--pending", help="Only deliveries whose run is not started yet.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List stored webhook deliveries, newest first: when each arrived, when its run started."""
    import sqlalchemy as sa

    from bot.adapters.durable import Inbox, engine_settings, inbox_engine
    from bot.settings import Settings

    database_url = engine_settings(Settings(), executor_id="specbot-cli").database_url
    store = Inbox(inbox_engine(database_url))
    try:
        entries = store.entries(pending_only=pending, limit=limit)
    except sa.exc.SQLAlchemyError as exc:
        shown = sa.make_url(database_url).render_as_string(hide_password=True)
        typer.echo(
            f"specbot runs: cannot read the inbox in {shown}: {type(exc).__name__}", err=True
        )
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps([entry.__dict__ for entry in entries], indent=2))
        return
    if not entries:
        typer.echo("no pending deliveries" if pending else "no deliveries")
    for entry in entries:
        started = "pending" if entry.done_ms is None else f"run started {_clock(entry.done_ms)}"
        error = f"  last error: {entry.error}" if entry.error else ""
        typer.echo(
            f"{_clock(entry.received_ms)}  {entry.delivery_id}  {entry.event}  {started}"
            f"  (attempts {entry.attempts}){error}"
        )


def _clock(epoch_ms: int) -> str:
    """An inbox timestamp as UTC ISO 8601 to the second."""
    import datetime

    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
