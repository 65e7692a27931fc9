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
    from bot.scripted import (
        ScriptedModel,
        ScriptError,
        base_url_of,
        bind_socket,
        load_script,
        make_server,
    )

    try:
        loaded = load_script(script)
    except ScriptError as exc:
        typer.echo(f"specbot model: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        typer.echo(f"specbot model: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    server = make_server(ScriptedModel(loaded))
    typer.echo(f"scripted model listening on {base_url_of(sock)}", err=False)
    # uvicorn handles SIGINT and SIGTERM in the main thread: it stops accepting, finishes the
    # requests in flight and returns, so the command exits 0.
    with sock:
        server.run(sockets=[sock])
