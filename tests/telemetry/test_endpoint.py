"""``/metrics``: who may read it on the app, its own port, and the webhook's deliveries in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from bot.adapters.durable import EngineClient, engine_settings
from bot.ingest import IngestRouter
from bot.orchestra import StageContext
from bot.routing import Router
from bot.settings import Settings
from bot.telemetry import Metrics, metrics_registry, metrics_router, start_metrics_server
from bot.web import create_app
from bot.web.dashboard._viewer import Viewer
from bot.webhooks import Event, sign
from tests.telemetry.exposition import matching, parse, value

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
WEBHOOK_SECRET = "metrics-webhook-secret"
DASHBOARD_SECRET = "metrics-dashboard-secret-0123456789"
DELIVERIES = "specbot_webhook_deliveries_total"


class HeaderAccess:
    """Access that believes the ``X-Viewer`` header: ``operator``, ``reader`` (one repository)
    or ``link`` (one run's signed link); anything else is nobody."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled

    async def viewer(self, request: Request) -> Viewer | None:
        """The viewer the header names."""
        viewers = {
            "operator": Viewer("operator"),
            "reader": Viewer("alice", frozenset({"acme/widgets"})),
            "link": Viewer("link", run_id="spec:acme/widgets#1:abc"),
        }
        return viewers.get(request.headers.get("x-viewer", ""))

    def login_url(self, request: Request) -> str:
        """``/login``."""
        return "/login"

    def router(self) -> APIRouter:
        """No sign-in routes."""
        return APIRouter()


def _app(access: HeaderAccess, metrics: Metrics) -> TestClient:
    app = FastAPI()
    app.include_router(metrics_router(access, metrics_registry(metrics=metrics)))
    return TestClient(app)


def test_only_the_operator_reads_the_metrics() -> None:
    """Nobody: 401 asking for a bearer; a person who reads some repositories, or one run's
    link: 403; the operator: the text format."""
    metrics = Metrics()
    metrics.observe_delivery("issues", "queued")
    client = _app(HeaderAccess(), metrics)
    nobody = client.get("/metrics")
    assert nobody.status_code == 401
    assert nobody.headers["www-authenticate"].startswith("Bearer")
    assert "specbot_" not in nobody.text
    for refused in ("reader", "link"):
        answer = client.get("/metrics", headers={"X-Viewer": refused})
        assert answer.status_code == 403 and "specbot_" not in answer.text
    operator = client.get("/metrics", headers={"X-Viewer": "operator"})
    assert operator.status_code == 200
    assert operator.headers["content-type"] == TEXT_FORMAT
    samples = parse(operator.text)
    assert value(samples, DELIVERIES, event="issues", outcome="queued") == 1


def test_with_access_off_there_is_no_metrics_page() -> None:
    """The dashboard off: 404, even for the operator."""
    client = _app(HeaderAccess(enabled=False), Metrics())
    answer = client.get("/metrics", headers={"X-Viewer": "operator"})
    assert answer.status_code == 404 and "specbot_" not in answer.text


def test_its_own_port_needs_no_access() -> None:
    """prometheus-client's server on a free port answers anyone, in the text format; closed,
    the port answers no more."""
    metrics = Metrics()
    metrics.observe_run_finished("spec", "succeeded")
    server = start_metrics_server(0, "127.0.0.1", metrics_registry(metrics=metrics))
    url = f"http://127.0.0.1:{server.port}/metrics"
    try:
        answer = httpx.get(url)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == TEXT_FORMAT
        samples = parse(answer.text)
        assert value(samples, "specbot_runs_finished_total", flow="spec", state="succeeded") == 1
    finally:
        server.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def _handle(event: Event, context: StageContext) -> None:
    """Never runs: no pump starts the stored deliveries here."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EngineClient]:
    """A store on a new SQLite database, as ``serve --no-worker`` makes it: no pump."""
    settings = Settings(GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET, SPECBOT_DATA_DIR=tmp_path)
    client = EngineClient(engine_settings(settings), create_schema=True)
    yield client
    client.close()


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET, SPECBOT_DATA_DIR=tmp_path, **extra)  # type: ignore[arg-type]


def _post(
    client: TestClient, event: str, body: bytes, delivery: str, *, signed: bool = True
) -> str:
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(body, WEBHOOK_SECRET if signed else "not-the-secret"),
        "Content-Type": "application/json",
    }
    return str(client.post("/webhook", content=body, headers=headers).json()["status"])


def test_deliveries_and_the_inbox_are_in_the_apps_metrics(
    tmp_path: Path, store: EngineClient
) -> None:
    """Through the real webhook endpoint: each outcome is counted under its event (a forged
    event name under ``other``), and the stored delivery waits in the inbox's figure."""
    settings = _settings(
        tmp_path, SPECBOT_DASHBOARD_ACCESS="secret", SPECBOT_DASHBOARD_SECRET=DASHBOARD_SECRET
    )
    router: IngestRouter = Router()
    router.add(_handle, "issues")
    operator = {"Authorization": f"Bearer {DASHBOARD_SECRET}"}
    body = b'{"action":"opened","issue":{"number":1},"repository":{"full_name":"acme/w"}}'
    with TestClient(create_app(settings, store, router)) as client:
        before = matching(parse(client.get("/metrics", headers=operator).text), DELIVERIES)
        assert _post(client, "issues", body, "m-1") == "queued"
        assert _post(client, "issues", body, "m-1") == "duplicate"
        assert _post(client, "star", b'{"action":"created"}', "m-2") == "ignored"
        assert _post(client, "ping", b'{"zen":"Keep it simple."}', "m-3") == "pong"
        assert _post(client, 'issues"} 1 {x', body, "m-4", signed=False) == "refused"
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer not-the-secret-at-all-0000"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        answer = client.get("/metrics", headers=operator)
    assert answer.status_code == 200 and answer.headers["content-type"] == TEXT_FORMAT
    samples = parse(answer.text)
    after = matching(samples, DELIVERIES)
    grew = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key)}
    assert grew == {
        (("event", "issues"), ("outcome", "queued")): 1,
        (("event", "issues"), ("outcome", "duplicate")): 1,
        (("event", "star"), ("outcome", "ignored")): 1,
        (("event", "ping"), ("outcome", "pong")): 1,
        (("event", "other"), ("outcome", "refused")): 1,
    }
    assert value(samples, "specbot_inbox_pending_deliveries") == 1
    assert value(samples, "specbot_metrics_database_up") == 1


def test_the_app_has_no_metrics_when_access_is_off_or_they_have_a_port(
    tmp_path: Path, store: EngineClient
) -> None:
    """Default settings (access off), or SPECBOT_METRICS_PORT set: /metrics is 404 here."""
    router: IngestRouter = Router()
    operator = {"Authorization": f"Bearer {DASHBOARD_SECRET}"}
    with_port = _settings(
        tmp_path,
        SPECBOT_DASHBOARD_ACCESS="secret",
        SPECBOT_DASHBOARD_SECRET=DASHBOARD_SECRET,
        SPECBOT_METRICS_PORT=9100,
    )
    for settings in (_settings(tmp_path), with_port):
        with TestClient(create_app(settings, store, router)) as client:
            answer = client.get("/metrics", headers=operator)
        assert answer.status_code == 404 and "specbot_" not in answer.text
