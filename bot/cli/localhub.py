"""``specbot localhub``: serve a local GitHub (REST, git, webhooks) from a seed file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

DEFAULT_PORT = 8080


def localhub(
    seed: Annotated[
        Path, typer.Option("--seed", help="Seed file (YAML): users, repos, Apps, hooks.")
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0: any free port).")
    ] = DEFAULT_PORT,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Keep state and repositories here across restarts."),
    ] = None,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="YAML list of fault rules to apply at start.")
    ] = None,
    random_seed: Annotated[
        int, typer.Option("--random-seed", help="Seed for injected faults.")
    ] = 0,
) -> None:
    """Serve a local GitHub: REST at /api/v3, git at /<owner>/<repo>.git, admin at /_localhub."""
    import signal
    import threading

    import yaml

    from bot.localhub import FaultRule, GitError, RunningHub, SeedError

    try:
        rules = [FaultRule.model_validate(r) for r in _read_faults(faults)] if faults else []
        running = RunningHub(
            seed, data_dir=data, host=host, port=port, random_seed=random_seed, faults=rules
        )
    except (SeedError, GitError, OSError, ValueError, yaml.YAMLError) as error:
        _fail(str(error))
    typer.echo(f"localhub ready: {running.api_url}")
    typer.echo(f"  git:   {running.url}/<owner>/<repo>.git")
    typer.echo(f"  web:   {running.url}/")
    typer.echo(f"  admin: {running.admin_url}/state")
    typer.echo(f"  data:  {data if data else 'memory only'}")
    stop = threading.Event()
    # the server runs in a thread; the main thread turns SIGINT/SIGTERM into a clean stop
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    running.stop()
    typer.echo("localhub stopped")


def _read_faults(path: Path) -> list[object]:
    import yaml

    loaded = yaml.safe_load(path.read_text())
    if not isinstance(loaded, list):
        raise ValueError(f"{path}: expected a list of fault rules")
    return loaded


def _fail(message: str) -> NoReturn:
    typer.echo(f"specbot localhub: {message}", err=True)
    raise typer.Exit(2)
