"""``specbot localhub``: serve a local GitHub (REST, git, webhooks) from a seed file."""

from __future__ import annotations

from pathlib import Path

import typer

DEFAULT_PORT = 8080


def localhub(
    seed: Path = typer.Option(..., "--seed", help="Seed file (YAML): users, repos, Apps, hooks."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to listen on (0: any free port)."),
    data: Path | None = typer.Option(
        None, "--data", help="Keep state and repositories here across restarts (default: memory)."
    ),
    faults: Path | None = typer.Option(
        None, "--faults", help="YAML list of fault rules to apply from the start."
    ),
    random_seed: int = typer.Option(0, "--random-seed", help="Seed for injected faults."),
) -> None:
    """Serve a local GitHub: REST at /api/v3, git at /<owner>/<repo>.git, admin at /_localhub."""
    import signal
    import threading

    import yaml

    from bot.localhub import FaultRule, LocalHub, RunningHub, SeedError

    try:
        rules = [FaultRule.model_validate(r) for r in _read_faults(faults)] if faults else []
        local = LocalHub(data_dir=data, random_seed=random_seed)
    except (OSError, ValueError, yaml.YAMLError) as error:
        _fail(str(error))
    try:
        if not local.hub.loaded_from_disk:
            local.load_seed(seed)
        for rule in rules:
            local.add_fault(rule)
        running = RunningHub(local, host, port)
    except (SeedError, OSError, ValueError) as error:
        local.close()
        _fail(str(error))
    typer.echo(f"localhub ready: {running.api_url}")
    typer.echo(f"  git:   {running.url}/<owner>/<repo>.git")
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


def _fail(message: str) -> None:
    typer.echo(f"specbot localhub: {message}", err=True)
    raise typer.Exit(2)
