"""Thousands of malformed deliveries, signed and not: never a 5xx, and the server still works."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.durable import Engine, Inbox, engine_settings, inbox_engine
from bot.ingest import ingest_catalog
from bot.settings import Settings
from bot.web import create_app
from bot.webhooks import sign
from tests.web.conftest import (
    HANDLED_EVENTS,
    SECRET,
    Recorder,
    example,
    signed_headers,
    stored_ids,
)

EVENTS = st.sampled_from(["issues", "issue_comment", "pull_request", "ping", "check_run", "x"])
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "json; x=y"]
)

# What an HTTP client sends in a header value: printable ASCII.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    """Bodies a decoder can choke on: deep, huge numbers, cut short, not UTF-8, not JSON."""
    kind = draw(st.sampled_from(["bytes", "deep", "digits", "cut", "value", "constant", "form"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        depth = draw(st.integers(min_value=60, max_value=200_000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        return opener * depth + b"1" + closer * depth
    if kind == "digits":
        digits = draw(st.integers(min_value=4_000, max_value=20_000))
        return b'{"action": "opened", "number": ' + b"7" * digits + b"}"
    text = json.dumps(draw(json_values)).encode()
    if kind == "cut":
        return text[: draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))]
    if kind == "constant":
        return b'{"action": ' + draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity"])) + b"}"
    if kind == "form":
        return b"payload=" + text[: len(text) // 2]
    return text


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """A hostile body with headers that are signed right, signed wrong, or missing."""
    body = draw(hostile_bodies())
    headers = signed_headers(draw(EVENTS), body, delivery=str(draw(st.uuids())))
    headers["Content-Type"] = draw(CONTENT_TYPES)
    signing = draw(st.sampled_from(["right", "wrong", "missing", "garbage"]))
    if signing == "wrong":
        headers["X-Hub-Signature-256"] = sign(body, "not-the-secret")
    elif signing == "missing":
        del headers["X-Hub-Signature-256"]
    elif signing == "garbage":
        headers["X-Hub-Signature-256"] = draw(HEADER_TEXT)
    if draw(st.booleans()):
        headers["X-GitHub-Delivery"] = draw(HEADER_TEXT)
    return body, headers


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Engine, Inbox]]:
    """One real app for every example: a fresh one per example would test start-up instead."""
    web_settings = Settings(
        GITHUB_WEBHOOK_SECRET=SECRET, SPECBOT_DATA_DIR=tmp_path_factory.mktemp("fuzz") / "data"
    )
    web_settings.data_dir.mkdir(parents=True)
    recorder = Recorder()
    for name in HANDLED_EVENTS:
        recorder.router.add(recorder.handle, name)
    engine = Engine(
        engine_settings(web_settings, executor_id="fuzz"), ingest_catalog(recorder.router)
    )
    inbox = Inbox(inbox_engine(web_settings.resolved_database_url()))
    with TestClient(create_app(web_settings, engine, recorder.router)) as client:
        yield client, engine, inbox
    inbox.dispose()


# The server's own threads (engine, inbox pump) use the random module while examples are drawn.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(delivery=deliveries())
def test_no_delivery_gets_a_server_error(
    served: tuple[TestClient, Engine, Inbox], delivery: tuple[bytes, dict[str, str]]
) -> None:
    """Whatever the bytes and headers, the answer is a 2xx or a 4xx with a reason."""
    client, _, _ = served
    body, headers = delivery
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.json()["error"]


def test_a_valid_delivery_is_accepted_after_the_fuzzing(
    served: tuple[TestClient, Engine, Inbox],
) -> None:
    """After every malformed delivery above, a real one is still stored and queued."""
    client, _, inbox = served
    body = example("issues", "opened.payload.json")
    headers = signed_headers("issues", body)
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    assert headers["X-GitHub-Delivery"] in stored_ids(inbox)
