"""The ``specbot`` command: one Typer app, one module per sub-command.

Sub-command modules import their heavy dependencies inside the command function, so that
``specbot lint`` starts in milliseconds and never loads the web or durable-engine stacks.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import typer

from bot import __version__
from bot.cli import _interrupt as interrupt
from bot.cli import model as model_command
from bot.cli.action import action_command
from bot.cli.app import app_app
from bot.cli.config import config_app
from bot.cli.demo import demo as demo_command
from bot.cli.lint import lint_command
from bot.cli.localhub import localhub
from bot.cli.review import review_command
from bot.cli.run import run_command
from bot.cli.runs import runs_app
from bot.cli.serve import serve as serve_command
from bot.cli.worker import worker as worker_command

HELP = """specbot turns a GitHub issue written as a specification into a reviewed pull request.

[bold]Examples[/bold]

  specbot lint spec.md                 check one spec against the quality gate
  specbot lint specs/ --format json    every *.md under a folder, as JSON
  cat issue.md | specbot lint -        a spec from standard input
  specbot config check .github/specbot.yml     validate a repository's configuration
  specbot localhub --seed seed.yml --port 8800 a local GitHub for dry runs
  specbot model --script demo.yaml --port 8801 a scripted model server
  specbot worker                       serve durable runs from the database
  specbot app register --org ORG       create the GitHub App from app.yml
  specbot demo                         the whole loop offline, on a scripted model
  specbot run spec.md --repo .         implement a spec on a new local branch
  specbot review --repo . --base main  review a local diff
  specbot action                       inside a GitHub Actions step (action.yml runs it)
"""

app = typer.Typer(
    name="specbot",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"specbot {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """specbot: from a spec issue to a reviewed pull request."""


app.command("lint")(lint_command)
app.command("worker")(worker_command)
app.command("serve")(serve_command)
app.add_typer(config_app, name="config")
app.add_typer(runs_app, name="runs")
app.add_typer(app_app, name="app")
app.command("model")(model_command.model)
app.command("localhub")(localhub)
app.command("demo")(demo_command)
app.command("run")(run_command)
app.command("review")(review_command)
app.command("action")(action_command)


def _hide_flag_types(command: Any, parent: Any = None) -> None:
    """Flags take no value: their help shows none (Typer would print ``<bool>``)."""
    # The help option is made, once, for a context: make it now to hide its type too.
    context = command.context_class(
        command, parent=parent, info_name=command.name, **command.context_settings
    )
    helper = command.get_help_option(context)
    for param in [*command.params, *([helper] if helper is not None else [])]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _hide_flag_types(sub, context)


def main() -> None:
    """Run the CLI; unexpected errors become one line on stderr, never a traceback.

    SIGINT and SIGTERM end a command with one line and exit 130 or 143 (``_interrupt``).
    """
    interrupt.install()
    command = typer.main.get_command(app)
    _hide_flag_types(command)
    try:
        command(prog_name="specbot")
    except KeyboardInterrupt:  # raised by code that saw a SIGINT before the handler was set
        typer.echo("specbot: interrupted: stopped", err=True)
        sys.exit(interrupt.exit_code(signal.SIGINT))
    except Exception as exc:  # the last line of defence: users never see a traceback
        typer.echo(f"specbot: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(3)
