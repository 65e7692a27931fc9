"""``specbot config check PATH`` and ``specbot config schema``: the repository's
``.github/specbot.yml``, checked with each error on its line, and its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

config_app = typer.Typer(
    name="config",
    help="Check a .github/specbot.yml or print its JSON Schema.",
    no_args_is_help=True,
)


def _model() -> Any:
    from bot.config import RepoConfig

    return RepoConfig


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of .github/specbot.yml."""
    typer.echo(json.dumps(_model().model_json_schema(), indent=2, sort_keys=True))


@config_app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="The specbot.yml to check ('-' for stdin).")],
) -> None:
    """Check a specbot.yml: each error on its own line as PATH:LINE: field: message.

    A valid file's keys that nothing reads yet are named too (exit 0: they are accepted).
    """
    import sys

    from bot.cli._config_lines import check_config_text, keys_without_effect_lines

    if str(path) == "-":
        text, shown = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, shown = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            from bot.wording import plain_os_error

            reason = plain_os_error(exc) if isinstance(exc, OSError) else "not UTF-8 text"
            typer.echo(f"specbot config: cannot read {path}: {reason}", err=True)
            raise typer.Exit(2) from None
    problems = check_config_text(text, _model())
    for line, where, message in problems:
        typer.echo(f"{shown}:{line}: {where}: {message}")
    if problems:
        raise typer.Exit(1)
    for line, key in keys_without_effect_lines(text):
        typer.echo(f"{shown}:{line}: {key}: has no effect yet (accepted, but nothing reads it)")
    typer.echo(f"{shown}: ok")
