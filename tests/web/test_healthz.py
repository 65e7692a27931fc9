"""GET /healthz is ready only while the database answers, with a front end and with a worker."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from fastapi.testclient import TestClient

from bot.adapters.durable import EngineClient, engine_settings
from bot.settings import Settings
from bot.web import create_app
from tests.web.conftest import Recorder, example, signed_headers


def test_healthz_follows_the_database(web_settings: Settings, recorder: Recorder) -> None:
    """200 while the SQLite file is there; 503 once its directory is gone; 200 when it is back."""
    web_settings.data_dir.mkdir(parents=True)
    # A worker elsewhere made the database; this process only accepts deliveries.
    client_store = EngineClient(engine_settings(web_settings), create_schema=True)
    try:
        with TestClient(create_app(web_settings, client_store, recorder.router)) as client:
            up = client.get("/healthz")
            assert (up.status_code, up.json()) == (200, {"status": "ok", "database": "up"})
            moved = web_settings.data_dir.with_name("moved")
            web_settings.data_dir.rename(moved)
            down = client.get("/healthz")
            assert down.status_code == 503
            assert down.json() == {"status": "unavailable", "database": "down"}
            assert not web_settings.data_dir.exists(), "the probe must not create a database"
            moved.rename(web_settings.data_dir)
            assert client.get("/healthz").status_code == 200
    finally:
        client_store.close()


def test_front_end_only_stores_for_the_workers(web_settings: Settings, recorder: Recorder) -> None:
    """With an EngineClient the delivery is stored (ENQUEUED) and no handler runs here."""
    web_settings.data_dir.mkdir(parents=True)
    client_store = EngineClient(engine_settings(web_settings), create_schema=True)
    try:
        with TestClient(create_app(web_settings, client_store, recorder.router)) as client:
            body = example("issues", "opened.payload.json")
            headers = signed_headers("issues", body, delivery="front-1")
            assert client.post("/webhook", content=body, headers=headers).status_code == 202
            again = client.post("/webhook", content=body, headers=headers)
            assert again.json()["status"] == "duplicate"
        assert client_store.run_ids("delivery:") == ["delivery:front-1"]
        assert client_store.status("delivery:front-1") == "ENQUEUED"
        assert recorder.received == []
    finally:
        client_store.close()


def test_healthz_is_down_without_the_engine_tables(
    web_settings: Settings, recorder: Recorder
) -> None:
    """A database that answers but was never set up for the engine is not ready (503)."""
    web_settings.data_dir.mkdir(parents=True)
    path = web_settings.data_dir / "specbot.sqlite"
    with closing(sqlite3.connect(path)) as other_program:
        other_program.execute("CREATE TABLE unrelated (x INTEGER)")
    client_store = EngineClient(engine_settings(web_settings))
    try:
        with TestClient(create_app(web_settings, client_store, recorder.router)) as client:
            assert client.get("/healthz").status_code == 503
            body = example("issues", "opened.payload.json")
            refused = client.post("/webhook", content=body, headers=signed_headers("issues", body))
            assert refused.status_code == 503
    finally:
        client_store.close()
