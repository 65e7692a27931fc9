"""``specbot model``: serve a scripted Anthropic-compatible model over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def model(
    script: Annotated[Path, typer.Option("--script", help="YAML script the model answers from.")],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")
    ] = 8765,
) -> None:
    """Serve the Messages API from a script; point ANTHROPIC_BASE_URL at the printed URL."""
    import signal
    import threading

    from bot.scripted import ScriptedModel, ScriptedModelServer, ScriptError, load_script

    try:
        loaded = load_script(script)
    except ScriptError as exc:
        typer.echo(f"specbot model: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        server = ScriptedModelServer(ScriptedModel(loaded), host, port)
    except OSError as exc:
        typer.echo(f"specbot model: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    # The server runs in a thread; the main thread owns the signals, so SIGINT and SIGTERM
    # both end in a graceful stop (requests in flight finish) and exit status 0.
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    typer.echo(f"scripted model listening on {server.base_url}")
    while not stop.wait(1.0):
        pass
    server.stop()
