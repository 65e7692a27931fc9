"""The webhook server: ``POST /webhook`` stores each verified delivery durably, then answers.

Order of work per delivery: size (413 before reading an oversized body), signature over the
raw bytes (401, nothing stored), headers and JSON (400), then the ingest run is enqueued under
``delivery:<X-GitHub-Delivery>`` and only then is 202 sent. A redelivery finds the run already
stored and changes nothing. Handlers run later, in a worker, never in the request.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.adapters.durable import Engine, EngineClient, probe_database
from bot.ingest import INGEST_PIPELINE, INGEST_QUEUE, IngestRouter
from bot.orchestra import delivery_workflow_id
from bot.settings import Settings
from bot.web._body import read_capped_body
from bot.webhooks import MAX_BODY_BYTES, Event, MalformedDelivery, WebhookError, event_from_http

# GitHub's delivery ids are GUIDs; anything else is refused before it names a durable run.
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Bodies above this are verified and decoded off the event loop (HMAC and JSON of megabytes).
_INLINE_BODY_BYTES = 64 * 1024
HEALTH_TIMEOUT_SECONDS = 3.0

log = structlog.get_logger("specbot.web")


def create_app(
    settings: Settings,
    engine_or_client: Engine | EngineClient,
    router: IngestRouter,
    *,
    launch_engine: bool = True,
    drain_seconds: float = 0.0,
) -> FastAPI:
    """The FastAPI app; an ``Engine`` is launched in its lifespan unless ``launch_engine`` is off.

    With an ``Engine`` this process also runs the ingest runs (and every other run of the
    engine's catalog); with an ``EngineClient`` it only stores deliveries for the workers.
    On shutdown the engine gives running work ``drain_seconds``; how many runs were left
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.unfinished_runs = 0
        if not (isinstance(store, Engine) and launch_engine):
            yield
            return
        # Off the event loop: DBOS refuses blocking calls inside it.
        await asyncio.to_thread(store.launch)
        try:
            yield
        finally:
            app.state.unfinished_runs = await asyncio.to_thread(
                store.shutdown, drain_seconds=drain_seconds
            )

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
            event = await _verified_event(request, secret)
        except WebhookError as exc:
            log.warning("delivery refused", status=exc.status, reason=str(exc))
            return JSONResponse({"status": "refused", "error": str(exc)}, status_code=exc.status)
        if event.name == "ping":
            zen = event.payload.get("zen")
            log.info("ping", hook_id=event.payload.get("hook_id"))
            return JSONResponse({"status": "pong", "zen": zen if isinstance(zen, str) else None})
        handlers = router.fetch(event)
        if not handlers:
            log.info("event not handled", action=event.action, repo=event.repo_full_name)
            return JSONResponse({"status": "ignored"}, status_code=202)
        try:
            outcome = await run_in_threadpool(_store, store, event)
        except Exception as exc:  # the database is down: GitHub shows the failure, redeliver
            log.error("delivery not stored", error=_summary(exc))
            return JSONResponse({"status": "unavailable"}, status_code=503)
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
                asyncio.to_thread(_check_ready, store, database_url),
                timeout=HEALTH_TIMEOUT_SECONDS + 1,
            )
        except Exception as exc:
            log.warning("database not ready", error=_summary(exc))
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    return app


async def _verified_event(request: Request, secret: str) -> Event:
    body = await read_capped_body(request, MAX_BODY_BYTES)
    headers = dict(request.headers)
    if len(body) > _INLINE_BODY_BYTES:
        event = await asyncio.to_thread(event_from_http, headers, body, secret)
    else:
        event = event_from_http(headers, body, secret)
    if not _DELIVERY_ID.fullmatch(event.delivery_id):
        raise MalformedDelivery("X-GitHub-Delivery is not a delivery id")
    return event


def _summary(exc: BaseException) -> str:
    """The error's type and first line, short: driver errors can carry SQL and whole payloads."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line[:300]}"


def _check_ready(store: Engine | EngineClient, database_url: str) -> None:
    """Raise unless the database takes a new connection and holds the engine's tables."""
    probe_database(database_url, timeout_seconds=HEALTH_TIMEOUT_SECONDS)
    store.exists(delivery_workflow_id("healthz"))


def _store(store: Engine | EngineClient, event: Event) -> str:
    """Enqueue the ingest run of ``event``; ``queued``, or ``duplicate`` if it was stored."""
    run_id = delivery_workflow_id(event.delivery_id)
    if store.exists(run_id):
        return "duplicate"
    # The stored form of ``Delivery`` built directly: a model round trip would copy the payload.
    data: dict[str, Any] = {
        "event": event.name,
        "delivery_id": event.delivery_id,
        "payload": event.payload,
    }
    store.start_pipeline(INGEST_PIPELINE, data, workflow_id=run_id, queue=INGEST_QUEUE)
    return "queued"
