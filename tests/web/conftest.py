"""Fixtures for the webhook server: settings on a tmp SQLite database, a recording router,
signed deliveries of GitHub's example payloads."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.durable import Engine, Inbox, engine_settings, inbox_engine
from bot.ingest import IngestRouter, ingest_catalog
from bot.orchestra import StageContext
from bot.routing import Router
from bot.settings import Settings
from bot.webhooks import Event, sign

SECRET = "web-test-secret"
EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "github" / "webhooks" / "examples"
HANDLED_EVENTS = ("issues", "issue_comment", "pull_request", "pull_request_review", "check_run")


@dataclass
class Recorder:
    """A router whose handlers write down each event they receive."""

    router: IngestRouter = field(default_factory=Router)
    received: list[tuple[str, str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def handle(self, event: Event, context: StageContext) -> None:
        """Record the event and the run it came through."""
        assert context.run_id == f"delivery:{event.delivery_id}"
        self.received.append((event.name, event.delivery_id))
        self.arrived.set()


@pytest.fixture
def recorder() -> Recorder:
    """A recording router listening to the events specbot handles."""
    found = Recorder()
    for name in HANDLED_EVENTS:
        found.router.add(found.handle, name)
    return found


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    """Settings with a webhook secret and a fresh SQLite database in a tmp dir."""
    return Settings(GITHUB_WEBHOOK_SECRET=SECRET, SPECBOT_DATA_DIR=tmp_path / "data")


@pytest.fixture
def engine(web_settings: Settings, recorder: Recorder) -> Iterator[Engine]:
    """An engine (not launched: the app's lifespan launches it) serving the ingest pipeline."""
    web_settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = engine_settings(web_settings, executor_id="web-test")
    built = Engine(settings, ingest_catalog(recorder.router))
    yield built


@pytest.fixture
def inbox(web_settings: Settings) -> Iterator[Inbox]:
    """The webhook inbox of the test's database, read directly."""
    found = Inbox(inbox_engine(web_settings.resolved_database_url()))
    yield found
    found.dispose()


def stored_ids(inbox: Inbox) -> list[str]:
    """Ids of every delivery the inbox holds, sorted."""
    return sorted(entry.delivery_id for entry in inbox.entries(limit=10_000))


def example(event: str, name: str = "") -> bytes:
    """The bytes of one of GitHub's example payloads."""
    folder = EXAMPLES / event
    path = folder / name if name else sorted(folder.glob("*.json"))[0]
    return path.read_bytes()


def example_paths() -> list[tuple[str, Path]]:
    """Every example payload, with its event name."""
    return [(p.parent.name, p) for p in sorted(EXAMPLES.glob("*/*.json"))]


SignedHeaders = Callable[..., dict[str, str]]


def signed_headers(
    event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    """The headers GitHub sends with ``body``, signed with ``secret``."""
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


def json_body(data: Any) -> bytes:
    """Compact JSON, as GitHub sends it."""
    return json.dumps(data, separators=(",", ":")).encode()
