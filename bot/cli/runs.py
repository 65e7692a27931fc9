"""``specbot runs``: look at durable runs and act on them from any machine that reaches the
database: the dead-letter list, retry of a dead letter, cancellation, status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.adapters.durable import EngineClient

runs_app = typer.Typer(
    name="runs",
    help="Dead letters, retries, cancellation and status of runs.",
    no_args_is_help=True,
)


@contextmanager
def _client() -> Iterator[EngineClient]:
    import sqlalchemy as sa

    from bot.adapters.durable import EngineClient, engine_settings
    from bot.settings import Settings

    settings = engine_settings(Settings(), executor_id="specbot-cli")
    try:
        client = EngineClient(settings)
    except Exception as exc:
        shown = sa.make_url(settings.database_url).render_as_string(hide_password=True)
        typer.echo(f"specbot runs: cannot open the run database {shown}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        yield client
    finally:
        client.close()


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
