"""GET /healthz is ready only while the database answers, with a front end and with a worker."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from fastapi.testclient import TestClient

from bot.adapters.durable import EngineClient, Inbox, InboxPump, engine_settings, inbox_engine
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
    """A front end (EngineClient) stores the delivery in the inbox and starts no run; a pump
    started later (as in a worker) turns it into one ENQUEUED run, and no handler runs here."""
    web_settings.data_dir.mkdir(parents=True)
    client_store = EngineClient(engine_settings(web_settings), create_schema=True)
    inbox = Inbox(inbox_engine(web_settings.resolved_database_url()))
    try:
        with TestClient(create_app(web_settings, client_store, recorder.router)) as client:
            body = example("issues", "opened.payload.json")
            headers = signed_headers("issues", body, delivery="front-1")
            first = client.post("/webhook", content=body, headers=headers)
            assert (first.status_code, first.json()["status"]) == (202, "queued")
            again = client.post("/webhook", content=body, headers=headers)
            assert again.json()["status"] == "duplicate"
        assert [entry.delivery_id for entry in inbox.entries(pending_only=True)] == ["front-1"]
        assert client_store.run_ids("delivery:") == []
        pump = InboxPump.connect(engine_settings(web_settings))
        pump.start()
        assert pump.close(drain_seconds=10) == 0
        assert client_store.run_ids("delivery:") == ["delivery:front-1"]
        assert client_store.status("delivery:front-1") == "ENQUEUED"
        assert inbox.pending_count() == 0
        assert recorder.received == []
    finally:
        inbox.dispose()
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
