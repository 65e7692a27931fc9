"""The ingest pipeline on a real engine: a stored delivery reaches the Router's handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.adapters.durable import Engine, RunFailedError, engine_settings
from bot.ingest import INGEST_PIPELINE, INGEST_QUEUE, Delivery, IngestRouter, ingest_catalog
from bot.orchestra import StageContext
from bot.routing import Router
from bot.settings import Settings
from bot.webhooks import Event
from tests.web.conftest import example

ATTEMPTS: list[str] = []


def flaky(event: Event, context: StageContext) -> None:
    """Fail on the first attempt, succeed on the next."""
    ATTEMPTS.append(context.idempotency_key)
    if len(ATTEMPTS) == 1:
        raise ConnectionError("GitHub did not answer")


def broken(event: Event, context: StageContext) -> None:
    """Always fail."""
    raise ValueError(f"cannot handle {event.name}")


@pytest.fixture
def launched(web_settings: Settings) -> Iterator[tuple[Engine, IngestRouter]]:
    """A launched engine whose router has a flaky issues handler and a broken one for pushes."""
    router: IngestRouter = Router()
    router.add(flaky, "issues", action="opened")
    router.add(broken, "push")
    web_settings.data_dir.mkdir(parents=True)
    engine = Engine(
        engine_settings(web_settings, executor_id="ingest-test"), ingest_catalog(router)
    )
    engine.launch()
    ATTEMPTS.clear()
    yield engine, router
    engine.shutdown()


def stored(event: str, delivery_id: str, name: str = "") -> dict[str, object]:
    """A delivery as the web server stores it."""
    payload = json.loads(example(event, name))
    return Delivery(event=event, delivery_id=delivery_id, payload=payload).model_dump(mode="json")


def test_failing_handler_is_retried_with_the_same_key(
    launched: tuple[Engine, IngestRouter],
) -> None:
    """A handler that fails once runs again with the same idempotency key; the run succeeds."""
    engine, _ = launched
    run_id = engine.start_pipeline(
        INGEST_PIPELINE,
        stored("issues", "d-1", "opened.payload.json"),
        workflow_id="delivery:d-1",
        queue=INGEST_QUEUE,
    )
    outcome = engine.result(run_id, timeout=30)
    assert outcome == {"event": "issues", "delivery_id": "d-1", "handlers": 1}
    assert ATTEMPTS == ["delivery:d-1/0:dispatch"] * 2


def test_handler_failing_for_good_ends_in_dead_letters(
    launched: tuple[Engine, IngestRouter],
) -> None:
    """A handler that always fails leaves the delivery in the dead-letter list with its reason."""
    engine, _ = launched
    run_id = engine.start_pipeline(
        INGEST_PIPELINE, stored("push", "d-2"), workflow_id="delivery:d-2", queue=INGEST_QUEUE
    )
    with pytest.raises(RunFailedError, match="cannot handle push"):
        engine.result(run_id, timeout=60)
    assert [letter.workflow_id for letter in engine.dead_letters()] == ["delivery:d-2"]


def test_store_refuses_a_delivery_that_is_not_one(launched: tuple[Engine, IngestRouter]) -> None:
    """Data without the delivery's fields is refused at enqueue and nothing is stored."""
    engine, _ = launched
    with pytest.raises(ValueError, match="input rejected"):
        engine.start_pipeline(
            INGEST_PIPELINE, {"event": "issues"}, workflow_id="delivery:d-3", queue=INGEST_QUEUE
        )
    assert engine.run_ids("delivery:") == []
