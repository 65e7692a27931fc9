"""The webhook server: ``POST /webhook`` stores each verified delivery durably, then answers.

Order of work per delivery: size (413 before reading an oversized body), signature over the
raw bytes (401, nothing stored), headers and JSON (400), then ONE row in the inbox
(``INSERT ... ON CONFLICT (delivery_id) DO NOTHING``, committed) and only then 202. A
redelivery finds its row and changes nothing. The inbox pump (a thread started by the
lifespan, and one in each worker) turns stored rows into ingest runs ``delivery:<id>``;
handlers run later, in a worker, never in the request. The request never calls the durable
engine: its cost is the HMAC, the JSON check, and one pooled insert.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.adapters.durable import (
    Engine,
    EngineClient,
    Inbox,
    InboxPump,
    Received,
    inbox_engine,
    probe_database,
)
from bot.orchestra import delivery_workflow_id
from bot.routing import Router
from bot.settings import Settings
from bot.telemetry import METRICS, DatabaseCollector, metrics_registry, metrics_router
from bot.web._body import read_capped_body
from bot.web._intake import IntakeWriter
from bot.web.dashboard import build_access, dashboard_router
from bot.webhooks import MAX_BODY_BYTES, Event, MalformedDelivery, WebhookError, event_from_http

# GitHub's delivery ids are GUIDs; anything else is refused before it names a durable run.
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Event names are snake_case words (``issue_comment``); they name the stored row's event.
_EVENT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Bodies above this are verified and decoded off the event loop (HMAC and JSON of megabytes).
_INLINE_BODY_BYTES = 64 * 1024
HEALTH_TIMEOUT_SECONDS = 3.0
# On shutdown the pump gets this long to start the runs of deliveries still pending (each is
# one insert); whatever is left waits in the inbox for the next pump, here or in a worker.
PUMP_DRAIN_SECONDS = 5.0

log = structlog.get_logger("specbot.web")
_WEBHOOK_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="specbot-webhook")


def create_app(
    settings: Settings,
    engine_or_client: Engine | EngineClient,
    router: Router[Any],
    *,
    launch_engine: bool = True,
    drain_seconds: float = 0.0,
    pump: bool | None = None,
) -> FastAPI:
    """The FastAPI app; an ``Engine`` is launched in its lifespan unless ``launch_engine`` is off.

    With an ``Engine`` this process also runs the ingest runs (and every other run of the
    engine's catalog), and the lifespan runs the inbox pump that starts the stored
    deliveries' runs. With an ``EngineClient`` it only stores deliveries: the pumps of the
    ``specbot worker`` processes start their runs (``pump=True`` runs one here too). On
    shutdown the engine gives running work ``drain_seconds``; how many runs were left
    unfinished (recovered later) is put in ``app.state.unfinished_runs``.
    """
    if (
        settings.github_webhook_secret is None
        or not settings.github_webhook_secret.get_secret_value()
    ):
        raise ValueError("GITHUB_WEBHOOK_SECRET is not set: deliveries cannot be verified")
    secret = settings.github_webhook_secret.get_secret_value()
    store = engine_or_client
    database_url = store.settings.database_url
    inbox = Inbox(inbox_engine(database_url, background_checkpoints=True))
    if pump is None:
        pump = isinstance(store, Engine)
    running: list[InboxPump] = []  # the lifespan's pump, woken when a delivery is stored

    def wake_pump() -> None:
        for started in running:
            started.notify()

    writer = IntakeWriter(inbox, on_stored=wake_pump)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.unfinished_runs = 0
        launched = store if isinstance(store, Engine) and launch_engine else None
        if launched is not None:
            # Off the event loop: DBOS refuses blocking calls inside it.
            await asyncio.to_thread(launched.launch)
        writer.start()
        try:
            if pump:
                running.append(await asyncio.to_thread(_start_pump, store, inbox))
            yield
        finally:
            writer.stop()  # uvicorn has answered every request by now
            if running:
                await asyncio.to_thread(_stop_pump, running.pop(), store)
            if launched is not None:
                app.state.unfinished_runs = await asyncio.to_thread(
                    launched.shutdown, drain_seconds=drain_seconds
                )
            inbox.dispose()

    app = FastAPI(
        title="specbot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
        claimed_id = request.headers.get("x-github-delivery", "")
        structlog.contextvars.bind_contextvars(
            delivery_id=claimed_id[:100],
            github_event=request.headers.get("x-github-event", "")[:100],
        )
        try:
            event, body = await _verified_event(request, secret)
        except WebhookError as exc:
            log.warning("delivery refused", status=exc.status, reason=str(exc))
            METRICS.observe_delivery(request.headers.get("x-github-event", ""), "refused")
            return JSONResponse({"status": "refused", "error": str(exc)}, status_code=exc.status)
        if event.name == "ping":
            zen = event.payload.get("zen")
            log.info("ping", hook_id=event.payload.get("hook_id"))
            METRICS.observe_delivery(event.name, "pong")
            return JSONResponse({"status": "pong", "zen": zen if isinstance(zen, str) else None})
        handlers = router.fetch(event)
        if not handlers:
            log.info("event not handled", action=event.action, repo=event.repo_full_name)
            METRICS.observe_delivery(event.name, "ignored")
            return JSONResponse({"status": "ignored"}, status_code=202)
        # Only its media type matters to the decoder; the rest is cut to the column's size.
        content_type = request.headers.get("content-type", "application/json")[:200]
        received = Received(event.delivery_id, event.name, content_type, body)
        try:
            stored = await asyncio.wrap_future(writer.submit(received))
        except Exception as exc:  # the database is down: GitHub shows the failure, redeliver
            log.error("delivery not stored", error=_summary(exc))
            METRICS.observe_delivery(event.name, "unavailable")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        outcome = "queued" if stored else "duplicate"
        METRICS.observe_delivery(event.name, outcome)
        run_id = delivery_workflow_id(event.delivery_id)
        log.info(
            "delivery " + outcome,
            action=event.action,
            repo=event.repo_full_name,
            installation_id=event.installation_id,
            run_id=run_id,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return JSONResponse({"status": outcome, "run_id": run_id}, status_code=202)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(
                    _WEBHOOK_THREADS, _check_ready, store, inbox, database_url
                ),
                timeout=HEALTH_TIMEOUT_SECONDS + 1,
            )
        except Exception as exc:
            log.warning("database not ready", error=_summary(exc))
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    access = build_access(settings)
    app.include_router(access.router())
    app.include_router(
        dashboard_router(settings=settings, store=store, tables=inbox.engine, access=access)
    )
    if settings.metrics_port is None:  # else ``specbot serve`` serves them on that port
        database = DatabaseCollector(inbox.engine)
        app.include_router(metrics_router(access, metrics_registry(database)))
    return app


async def _verified_event(request: Request, secret: str) -> tuple[Event, bytes]:
    body = await read_capped_body(request, MAX_BODY_BYTES)
    headers = dict(request.headers)
    if len(body) > _INLINE_BODY_BYTES:
        # On the webhook's own threads: the default pool also serves the dashboard's reads,
        # and a burst of page views must not make GitHub's 10 s acknowledgement wait.
        loop = asyncio.get_running_loop()
        event = await loop.run_in_executor(_WEBHOOK_THREADS, event_from_http, headers, body, secret)
    else:
        event = event_from_http(headers, body, secret)
    if not _DELIVERY_ID.fullmatch(event.delivery_id):
        raise MalformedDelivery("X-GitHub-Delivery is not a delivery id")
    if not _EVENT_NAME.fullmatch(event.name):
        raise MalformedDelivery("X-GitHub-Event is not an event name")
    return event, body


def _summary(exc: BaseException) -> str:
    """The error's type and first line, short: driver errors can carry SQL and whole payloads."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line[:300]}"


def _check_ready(store: Engine | EngineClient, inbox: Inbox, database_url: str) -> None:
    """Raise unless the database takes a new connection and holds the engine's and our tables."""
    probe_database(database_url, timeout_seconds=HEALTH_TIMEOUT_SECONDS)
    store.exists(delivery_workflow_id("healthz"))
    inbox.check()


def _start_pump(store: Engine | EngineClient, inbox: Inbox) -> InboxPump:
    """The inbox pump, started (its first rounds drain the backlog); it shares the inbox so
    that on SQLite its writes and the requests' take turns (see ``Inbox``)."""
    client = store if isinstance(store, EngineClient) else EngineClient(store.settings)
    pump = InboxPump(inbox, client)
    pump.start()
    return pump


def _stop_pump(pump: InboxPump, store: Engine | EngineClient) -> None:
    left = pump.stop(drain_seconds=PUMP_DRAIN_SECONDS)
    if left:
        log.warning("deliveries left in the inbox for the next pump", pending=left)
    if pump.client is not store:
        pump.client.close()
