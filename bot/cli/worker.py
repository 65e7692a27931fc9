"""``specbot worker``: serve durable runs (the flows' pipelines and event deliveries).

Runs until SIGTERM or SIGINT, then gives running work ``--drain`` seconds and exits 0.
Several workers may share one database; give each a stable ``--executor-id`` so a restarted
worker resumes its own runs, and any live worker takes over the runs of one that stays dead
(``--dead-after`` seconds silent). With ``SPECBOT_METRICS_PORT`` set, the worker serves its
``/metrics`` on that port of ``--metrics-host``.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._shell_mode import shell_mode_line

if TYPE_CHECKING:
    from bot.orchestra import Catalog
    from bot.settings import Settings
    from bot.telemetry import MetricsServer

# A function of the process's settings: the flows need services built from them.
DEFAULT_CATALOG = "bot.flows:catalog_for"
# On SIGTERM the inbox pump gets at most this long to start the runs of pending deliveries.
PUMP_DRAIN_SECONDS = 5.0


def load_catalog(references: list[str], settings: Settings | None = None) -> Catalog:
    """Merge the catalogs named ``module:attribute``; raise ``ValueError`` for a bad one.

    The attribute is a ``Catalog``, or a function that builds one from ``settings``.
    """
    from bot.orchestra import Catalog

    catalog = Catalog()
    for reference in references:
        module_name, colon, attribute = reference.partition(":")
        if not colon or not module_name or not attribute:
            raise ValueError(f"--catalog {reference!r}: expected MODULE:ATTRIBUTE")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(
                f"--catalog {reference!r}: cannot import {module_name}: {exc}"
            ) from exc
        found = getattr(module, attribute, None)
        if callable(found) and not isinstance(found, type) and settings is not None:
            found = found(settings)
        if not isinstance(found, Catalog):
            raise ValueError(f"--catalog {reference!r}: {attribute} is not a Catalog")
        catalog.merge(found)
    return catalog


def _default_references() -> list[str]:
    module_name = DEFAULT_CATALOG.partition(":")[0]
    try:
        importlib.import_module(module_name)
    except ImportError:
        return []
    return [DEFAULT_CATALOG]


def _start_metrics(settings: Settings, host: str) -> MetricsServer | None:
    """This process's metrics on ``SPECBOT_METRICS_PORT`` (no access check), if it is set.

    The database's figures (inbox, queues, dead letters) come from ``specbot serve``: every
    worker reporting them too would only repeat them.
    """
    if settings.metrics_port is None:
        return None
    from bot.telemetry import start_metrics_server
    from bot.wording import plain_os_error

    try:
        return start_metrics_server(settings.metrics_port, host)
    except OSError as exc:
        typer.echo(
            f"specbot worker: SPECBOT_METRICS_PORT: cannot serve metrics on "
            f"{host}:{settings.metrics_port}: {plain_os_error(exc)} (each worker on a machine "
            "needs its own port)",
            err=True,
        )
        raise typer.Exit(2) from None


def worker(
    catalog: Annotated[
        list[str] | None,
        typer.Option(
            "--catalog", "-c", help="MODULE:ATTRIBUTE of a Catalog to serve (repeatable)."
        ),
    ] = None,
    executor_id: str | None = typer.Option(
        None,
        "--executor-id",
        help="Stable id of this worker (default SPECBOT_EXECUTOR_ID or host).",
    ),
    heartbeat: float = typer.Option(5.0, "--heartbeat", min=0.05, help="Seconds between beats."),
    dead_after: float = typer.Option(
        60.0, "--dead-after", min=0.1, help="Seconds of silence after which a worker is dead."
    ),
    drain: float = typer.Option(
        10.0, "--drain", min=0.0, help="Seconds to let running work finish on SIGTERM."
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1",
        "--metrics-host",
        help="Interface for /metrics when SPECBOT_METRICS_PORT is set.",
    ),
) -> None:
    """Serve durable runs from the database until SIGTERM or SIGINT."""
    if dead_after < 3 * heartbeat:
        # A live worker late by one beat must never look dead: its runs would run twice.
        typer.echo("specbot worker: --dead-after must be at least 3 x --heartbeat", err=True)
        raise typer.Exit(2)
    references = catalog or _default_references()
    if not references:
        typer.echo(
            f"specbot worker: no --catalog given and {DEFAULT_CATALOG} is not installed: "
            "serving the default queues only",
            err=True,
        )
    from bot.adapters.durable import Engine, InboxPump, engine_settings
    from bot.ingest import INGEST_PIPELINE
    from bot.settings import load_settings

    process_settings = load_settings()
    if DEFAULT_CATALOG in references:
        from bot.flows import ServicesError, check_settings

        try:
            check_settings(process_settings)
        except ServicesError as exc:
            typer.echo(f"specbot worker: {exc}", err=True)
            raise typer.Exit(2) from None
    try:
        served = load_catalog(references, process_settings)
    except ValueError as exc:
        typer.echo(f"specbot worker: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = engine_settings(
        process_settings,
        executor_id=executor_id,
        heartbeat_seconds=heartbeat,
        dead_after_seconds=dead_after,
    )
    metrics = _start_metrics(process_settings, metrics_host)
    stop = threading.Event()

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    engine = Engine(settings, served)
    engine.launch()
    # A worker that runs deliveries also starts their runs from the webhook inbox, so the
    # inbox of a ``serve --no-worker`` front end is drained by its workers.
    pump = InboxPump.connect(settings) if INGEST_PIPELINE in served.pipelines else None
    if pump is not None:
        pump.start()
    typer.echo(
        f"specbot worker {settings.executor_id} ready (version {settings.application_version})"
    )
    typer.echo(f"specbot worker {settings.executor_id}: {shell_mode_line(process_settings)}")
    if metrics is not None:
        where = f"http://{metrics.host}:{metrics.port}/metrics"
        typer.echo(f"specbot worker {settings.executor_id}: metrics on {where}")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if pump is not None:
            pump.close(drain_seconds=min(drain, PUMP_DRAIN_SECONDS))
        unfinished = engine.shutdown(drain_seconds=drain)
        if metrics is not None:
            metrics.close()
    left = f" ({unfinished} unfinished run(s) left for recovery)" if unfinished else ""
    typer.echo(f"specbot worker {settings.executor_id} stopped{left}")
    sys.stdout.flush()
    sys.stderr.flush()
    if unfinished:
        # Threads still inside steps would keep the interpreter alive until they end;
        # their runs are recorded and will be resumed, so leave now.
        os._exit(0)
