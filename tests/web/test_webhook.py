"""POST /webhook through the real app: verify, store once, acknowledge, dispatch in the engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.adapters.durable import Engine, Inbox
from bot.settings import Settings
from bot.web import create_app
from bot.webhooks import MAX_BODY_BYTES
from tests.web.conftest import (
    HANDLED_EVENTS,
    Recorder,
    example,
    example_paths,
    json_body,
    signed_headers,
    stored_ids,
)


@pytest.fixture
def client(web_settings: Settings, engine: Engine, recorder: Recorder) -> Iterator[TestClient]:
    """The real app, with the engine launched by its lifespan."""
    with TestClient(create_app(web_settings, engine, recorder.router)) as found:
        yield found


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    """Poll until ``predicate()`` is true."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_every_example_is_stored_once_and_dispatched(
    client: TestClient, engine: Engine, recorder: Recorder
) -> None:
    """Each handled example payload answers 202 queued, is one run, and reaches its handler."""
    sent: list[tuple[str, str]] = []
    for event, path in example_paths():
        body = path.read_bytes()
        headers = signed_headers(event, body)
        response = client.post("/webhook", content=body, headers=headers)
        if event == "ping":
            assert response.status_code == 200
            continue
        assert response.status_code == 202, response.text
        handled = response.json()["status"] == "queued"
        assert handled == (event in HANDLED_EVENTS)
        if handled:
            sent.append((event, headers["X-GitHub-Delivery"]))
    assert sent, "no example was handled"
    expected_runs = sorted(f"delivery:{d}" for _, d in sent)
    wait_for(lambda: sorted(engine.run_ids("delivery:")) == expected_runs)
    wait_for(lambda: len(recorder.received) >= len(sent))
    assert sorted(recorder.received) == sorted(sent)


def test_same_delivery_twice_is_one_run(
    client: TestClient, engine: Engine, inbox: Inbox, recorder: Recorder
) -> None:
    """A redelivery (same X-GitHub-Delivery) answers duplicate, is one inbox row, and the
    handler runs once."""
    body = example("issues", "labeled.payload.json")
    headers = signed_headers("issues", body, delivery="dup-1")
    first = client.post("/webhook", content=body, headers=headers)
    second = client.post("/webhook", content=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json() == {"status": "queued", "run_id": "delivery:dup-1"}
    assert second.json() == {"status": "duplicate", "run_id": "delivery:dup-1"}
    assert stored_ids(inbox) == ["dup-1"]
    wait_for(lambda: recorder.received)
    engine.result("delivery:dup-1", timeout=10)
    third = client.post("/webhook", content=body, headers=headers)
    assert third.json()["status"] == "duplicate"
    time.sleep(0.5)  # a wrongly re-queued run would be picked up within the queue's poll
    assert recorder.received == [("issues", "dup-1")]
    assert engine.run_ids("delivery:") == ["delivery:dup-1"]
    assert stored_ids(inbox) == ["dup-1"]


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        ("bad-signature", 401),
        ("no-signature", 401),
        ("signed-other-secret", 401),
        ("no-event", 400),
        ("no-delivery", 400),
        ("bad-delivery-id", 400),
        ("bad-event-name", 400),
        ("malformed-json", 400),
        ("json-array", 400),
    ],
)
def test_refused_deliveries_store_nothing(
    client: TestClient, engine: Engine, inbox: Inbox, mutate: str, status: int
) -> None:
    """A bad signature is 401, bad headers or JSON 400, and no run is stored for either."""
    body = example("issues", "opened.payload.json")
    headers = signed_headers("issues", body)
    if mutate == "bad-signature":
        headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    elif mutate == "no-signature":
        del headers["X-Hub-Signature-256"]
    elif mutate == "signed-other-secret":
        headers = signed_headers("issues", body, secret="not-the-secret")
    elif mutate == "no-event":
        del headers["X-GitHub-Event"]
    elif mutate == "no-delivery":
        del headers["X-GitHub-Delivery"]
    elif mutate == "bad-delivery-id":
        headers["X-GitHub-Delivery"] = "../../etc/passwd"
    elif mutate == "bad-event-name":
        headers["X-GitHub-Event"] = "issues; drop table"
    elif mutate == "malformed-json":
        body = b'{"action": "opened", '
        headers = signed_headers("issues", body)
    elif mutate == "json-array":
        body = b"[1, 2]"
        headers = signed_headers("issues", body)
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["status"] == "refused"
    assert stored_ids(inbox) == []
    assert engine.run_ids("") == []


def test_oversized_body_is_refused_from_content_length(
    client: TestClient, engine: Engine, inbox: Inbox
) -> None:
    """A Content-Length over 25 MB is refused with 413 and nothing is stored."""
    headers = signed_headers("issues", b"{}")
    headers["Content-Length"] = str(MAX_BODY_BYTES + 1)
    response = client.post("/webhook", content=b"{}", headers=headers)
    assert response.status_code == 413
    assert stored_ids(inbox) == []
    assert engine.run_ids("") == []


def test_oversized_streamed_body_is_refused(
    client: TestClient, engine: Engine, inbox: Inbox
) -> None:
    """A body streamed without Content-Length is cut off at 25 MB with 413, nothing stored."""
    chunk = b" " * (1024 * 1024)

    def chunks() -> Iterator[bytes]:
        for _ in range(26):
            yield chunk

    response = client.post("/webhook", content=chunks(), headers=signed_headers("issues", b"{}"))
    assert response.status_code == 413
    assert stored_ids(inbox) == []
    assert engine.run_ids("") == []


def test_ping_echoes_zen(client: TestClient, engine: Engine) -> None:
    """A signed ping is answered with its zen, and nothing is stored."""
    body = example("ping")
    response = client.post("/webhook", content=body, headers=signed_headers("ping", body))
    assert response.status_code == 200
    assert response.json()["status"] == "pong"
    assert response.json()["zen"] and response.json()["zen"] in body.decode()
    assert engine.run_ids("") == []


def test_unhandled_event_is_acknowledged_and_not_stored(client: TestClient, engine: Engine) -> None:
    """An event no handler listens to (push) answers 202 ignored and stores nothing."""
    body = example("push")
    response = client.post("/webhook", content=body, headers=signed_headers("push", body))
    assert response.status_code == 202
    assert response.json() == {"status": "ignored"}
    assert engine.run_ids("") == []


def test_form_encoded_delivery_is_accepted(client: TestClient, recorder: Recorder) -> None:
    """A delivery sent as application/x-www-form-urlencoded is verified and dispatched too."""
    from urllib.parse import urlencode

    body = urlencode({"payload": example("issues", "opened.payload.json").decode()}).encode()
    headers = signed_headers("issues", body, delivery="form-1")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 202, response.text
    wait_for(lambda: recorder.received)
    assert recorder.received == [("issues", "form-1")]


def test_missing_secret_refuses_to_build(
    tmp_path: Path, engine: Engine, recorder: Recorder
) -> None:
    """Without GITHUB_WEBHOOK_SECRET the app cannot be built: deliveries could not be verified."""
    settings = Settings(SPECBOT_DATA_DIR=tmp_path)
    with pytest.raises(ValueError, match="GITHUB_WEBHOOK_SECRET"):
        create_app(settings, engine, recorder.router)


def test_large_valid_delivery_is_stored(
    client: TestClient, engine: Engine, inbox: Inbox, recorder: Recorder
) -> None:
    """A big but allowed body (2 MB) is verified off the loop, stored as sent, and dispatched."""
    body = json_body({"action": "opened", "padding": "x" * (2 * 1024 * 1024)})
    headers = signed_headers("issues", body, delivery="big-1")
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert stored_ids(inbox) == ["big-1"]
    wait_for(lambda: engine.run_ids("delivery:") == ["delivery:big-1"])
    wait_for(lambda: recorder.received == [("issues", "big-1")])
