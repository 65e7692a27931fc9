"""The webhook server on PostgreSQL: a front end on a new database, and readiness."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.adapters.durable import EngineClient, InboxPump, engine_settings, probe_database
from bot.settings import Settings
from bot.web import create_app
from tests.orchestra.conftest import postgres_url  # noqa: F401  (a fixture)
from tests.web.conftest import SECRET, Recorder, example, signed_headers

pytestmark = pytest.mark.postgres


def test_front_end_on_a_new_postgres_database(postgres_url: str, recorder: Recorder) -> None:  # noqa: F811
    """serve --no-worker's store sets up a new database, stores once, reports ready, and a
    pump turns the stored delivery into one run."""
    settings = Settings(GITHUB_WEBHOOK_SECRET=SECRET, SPECBOT_DATABASE_URL=postgres_url)
    store = EngineClient(engine_settings(settings), create_schema=True)
    try:
        with TestClient(create_app(settings, store, recorder.router)) as client:
            assert client.get("/healthz").status_code == 200
            body = example("issues", "opened.payload.json")
            headers = signed_headers("issues", body, delivery="pg-1")
            assert client.post("/webhook", content=body, headers=headers).json()["status"] == (
                "queued"
            )
            again = client.post("/webhook", content=body, headers=headers)
            assert again.json()["status"] == "duplicate"
        assert store.run_ids("delivery:") == []
        pump = InboxPump.connect(engine_settings(settings))
        pump.start()
        assert pump.close(drain_seconds=10) == 0
        assert store.run_ids("delivery:") == ["delivery:pg-1"]
    finally:
        store.close()


def test_probe_fails_when_nothing_listens(postgres_url: str) -> None:  # noqa: F811
    """The readiness probe raises for a PostgreSQL URL whose server does not answer."""
    probe_database(postgres_url)
    head, _, rest = postgres_url.rpartition("@")
    database = rest.partition("/")[2]
    with pytest.raises(Exception, match="connect|refused"):
        probe_database(f"{head}@127.0.0.1:9/{database}", timeout_seconds=2)
