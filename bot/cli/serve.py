"""``specbot serve``: the GitHub App's webhook server, with a worker in the same process.

Start-up checks every setting the App needs and refuses with one message naming each one
missing or wrong (the model's key included, when this process runs the flows), and with one
line when the port is taken. ``--no-worker`` only accepts deliveries into the webhook inbox
(``specbot worker`` processes then start and run them). Stops on SIGTERM or SIGINT:
in-flight requests finish, running work gets ``--drain`` seconds, and what is left is
recovered by the next worker to start. With ``SPECBOT_METRICS_PORT`` set, ``/metrics`` is
served on that port of ``--host`` (no access check) instead of beside the webhook.
"""

from __future__ import annotations

import errno
import gc
import importlib
import importlib.util
import os
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._shell_mode import shell_mode_line

if TYPE_CHECKING:
    from bot.orchestra import Catalog
    from bot.routing import Router
    from bot.settings import Settings
    from bot.telemetry import MetricsServer

DEFAULT_ROUTER = "bot.flows:router"


class StartupError(Exception):
    """A setting or option that prevents the server from starting (one line, names it)."""


def load_router(reference: str | None) -> Router[Any]:
    """The Router named ``module:attribute``; with none given, the flows' router if installed."""
    from bot.routing import Router as RouterType

    if reference is None:
        module_name = DEFAULT_ROUTER.partition(":")[0]
        if importlib.util.find_spec(module_name) is None:
            typer.echo(
                f"specbot serve: {DEFAULT_ROUTER} is not installed: no event is handled", err=True
            )
            return RouterType()
        reference = DEFAULT_ROUTER
    module_name, colon, attribute = reference.partition(":")
    if not colon or not module_name or not attribute:
        raise StartupError(f"--router {reference!r}: expected MODULE:ATTRIBUTE")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StartupError(f"--router {reference!r}: cannot import {module_name}: {exc}") from exc
    found = getattr(module, attribute, None)
    if not isinstance(found, RouterType):
        raise StartupError(f"--router {reference!r}: {attribute} is not a Router")
    return found


def read_settings(*, needs_model: bool = True) -> Settings:
    """Settings from the environment, checked for everything the App needs to start.

    Every missing or unusable setting is named in one ``StartupError``, not the first alone;
    ``needs_model``: this process runs the flows, whose agents call the model.
    """
    from pydantic import ValidationError

    from bot.settings import load_settings
    from bot.wording import plain_error

    try:
        settings = load_settings()
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])} {plain_error(error)}"
            for error in exc.errors()
        ]
        raise StartupError(_several(problems)) from None
    problems = _app_problems(settings)
    key = settings.anthropic_api_key
    if needs_model and (key is None or not key.get_secret_value().strip()):
        problems.append(
            "ANTHROPIC_API_KEY is not set: the key specbot's agents call the model with"
            " (without it every run fails)"
        )
    if problems:
        raise StartupError(_several(problems))
    check_database(settings)
    return settings


def _app_problems(settings: Settings) -> list[str]:
    """What is missing or wrong among the App's own settings: secret, id and private key."""
    from bot.adapters.github_app import AppSettingsError, app_id_from, private_key_from

    problems = []
    secret = settings.github_webhook_secret
    if secret is None or not secret.get_secret_value().strip():
        problems.append(
            "GITHUB_WEBHOOK_SECRET is not set: the secret entered in the App's webhook settings"
        )
    for check in (app_id_from, private_key_from):
        try:
            check(settings)
        except AppSettingsError as exc:
            problems.append(str(exc))
    if secret is not None and secret.get_secret_value().strip():
        from bot.web.dashboard import build_access

        try:  # the dashboard's access: a secret too short, an OAuth client missing
            build_access(settings)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def _several(problems: list[str]) -> str:
    """One problem on one line; several under one line that counts them."""
    if len(problems) == 1:
        return problems[0]
    listed = "".join(f"\n  {problem}" for problem in problems)
    return f"{len(problems)} settings to fix before it can start:{listed}"


def check_database(settings: Settings) -> None:
    """Make the data directory for the default SQLite file, or check the database answers."""
    from bot.adapters.durable import probe_database

    if not settings.database_url:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StartupError(
                f"SPECBOT_DATA_DIR: cannot create {settings.data_dir}: {exc.strerror}"
            ) from None
        return
    if settings.database_url.startswith("sqlite"):
        _make_sqlite_directory(settings.database_url)
        return  # the engine creates the file
    try:
        probe_database(settings.database_url)
    except Exception as exc:
        # The URL may hold a password: name the setting and the error type, never the URL.
        raise StartupError(
            f"SPECBOT_DATABASE_URL: the database does not answer ({type(exc).__name__})"
        ) from None


def _make_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite database file, as for the default one in the data dir."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        return
    folder = Path(database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"SPECBOT_DATABASE_URL: cannot create {folder}: {exc.strerror or type(exc).__name__}"
        ) from None


def bind_port(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a taken port is one line, not a server's log."""
    from bot.wording import plain_os_error

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        # IPPROTO_TCP named: asyncio turns Nagle off only on connections of a TCP-protocol
        # socket, and with it on, every second response on a kept-alive connection (a
        # dashboard, a Prometheus scrape) waited 40 ms for the client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        reason = plain_os_error(exc) if isinstance(exc, OSError) else "not a host name"
        raise StartupError(f"--host {host}: {reason}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use: stop what listens there or choose"
                " another with --port"
            ) from None
        raise StartupError(f"cannot listen on {host}:{port}: {plain_os_error(exc)}") from None
    return sock


def start_metrics(settings: Settings, host: str) -> MetricsServer | None:
    """``/metrics`` on ``SPECBOT_METRICS_PORT`` (no access check), the database's figures
    included; None when the setting is not set (then the app serves it behind its access)."""
    if settings.metrics_port is None:
        return None
    from bot.adapters.durable import inbox_engine
    from bot.telemetry import DatabaseCollector, metrics_registry, start_metrics_server
    from bot.wording import plain_os_error

    database = DatabaseCollector(inbox_engine(settings.resolved_database_url()))
    try:
        return start_metrics_server(settings.metrics_port, host, metrics_registry(database))
    except OSError as exc:
        raise StartupError(
            f"SPECBOT_METRICS_PORT: cannot serve metrics on {host}:{settings.metrics_port}: "
            f"{plain_os_error(exc)}"
        ) from None


def serving_catalog(
    references: list[str] | None,
    router: Router[Any],
    settings: Settings,
    *,
    own_router: bool,
) -> Catalog:
    """The catalog a worker in this process serves.

    By default the flows' (whose ingest pipeline dispatches through their router); with a
    router of one's own, the ingest pipeline over it plus the catalogs ``references`` name
    (the flows' only when named: they need a model key such a server does not ask for).
    """
    from bot.cli.worker import _default_references, load_catalog
    from bot.ingest import INGEST_PIPELINE, ingest_catalog

    if references is None and not own_router:
        references = _default_references()
    try:
        catalog = load_catalog(references or [], settings)
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    if own_router or INGEST_PIPELINE not in catalog.pipelines:
        catalog.pipelines.pop(INGEST_PIPELINE, None)
        catalog.merge(ingest_catalog(router))
    return catalog


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    with_worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Also run durable work here (default) or only accept."
    ),
    router: str | None = typer.Option(
        None, "--router", help=f"MODULE:ATTRIBUTE of the Router (default {DEFAULT_ROUTER})."
    ),
    catalog: Annotated[
        list[str] | None,
        typer.Option("--catalog", "-c", help="MODULE:ATTRIBUTE of a Catalog (repeatable)."),
    ] = None,
    drain: float = typer.Option(
        10.0, "--drain", min=0.0, help="Seconds to let running work finish on shutdown."
    ),
) -> None:
    """Serve GitHub webhooks at POST /webhook and readiness at GET /healthz."""
    try:
        # The flows' agents call the model: serving them without a key, every run would fail.
        settings = read_settings(needs_model=with_worker and router in (None, DEFAULT_ROUTER))
        found_router = load_router(router)
        served = (
            serving_catalog(
                catalog, found_router, settings, own_router=router not in (None, DEFAULT_ROUTER)
            )
            if with_worker
            else None
        )
        listening = bind_port(host, port)
        metrics = start_metrics(settings, host)
    except StartupError as exc:
        typer.echo(f"specbot serve: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"specbot serve: {shell_mode_line(settings)}")
    if metrics is not None:
        typer.echo(f"specbot serve: metrics on http://{metrics.host}:{metrics.port}/metrics")
    unfinished = _run(settings, found_router, served, listening, drain)
    sys.stdout.flush()
    sys.stderr.flush()
    if unfinished:
        # Threads still inside steps would keep the interpreter alive until they end;
        # their runs are recorded and will be resumed, so leave now.
        os._exit(0)


def _run(
    settings: Settings,
    router: Router[Any],
    catalog: Catalog | None,
    listening: socket.socket,
    drain: float,
) -> int:
    import uvicorn

    from bot.adapters.durable import Engine, EngineClient, engine_settings
    from bot.web import configure_logging, create_app

    configure_logging(settings.log_level)
    store: Engine | EngineClient
    if catalog is not None:
        store = Engine(engine_settings(settings), catalog)
    else:
        store = EngineClient(engine_settings(settings), create_schema=True)
    app = create_app(settings, store, router, drain_seconds=drain)
    host, port = listening.getsockname()[:2]
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    # uvicorn re-raises the signal it stopped on once it is done; a no-op handler here makes
    # that a clean return (exit 0) instead of a KeyboardInterrupt or a kill by SIGTERM.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _ignore_after_shutdown)
    _freeze_startup_objects()
    try:
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        if isinstance(store, EngineClient):
            store.close()
    unfinished: Any = getattr(app.state, "unfinished_runs", 0)
    return int(unfinished)


def _freeze_startup_objects() -> None:
    """Keep what start-up made (modules, classes, the app) out of the cyclic collector.

    They live as long as the process, yet every full collection walked all of them again:
    on the webhook benchmark one took 120 to 200 ms, and every request in flight waited.
    """
    gc.collect()
    gc.freeze()


def _ignore_after_shutdown(_signum: int, _frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises after its graceful shutdown."""
