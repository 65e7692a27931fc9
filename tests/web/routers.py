"""Routers for ``specbot serve --router`` in tests: handlers that write down what they got.

The server runs in a subprocess, so the handler appends one line per event to the file named
by ``SPECBOT_TEST_RECORD``; the test reads it back.
"""

from __future__ import annotations

import json
import os

from bot.ingest import IngestRouter, ingest_catalog
from bot.orchestra import StageContext
from bot.routing import Router
from bot.webhooks import Event

recording: IngestRouter = Router()


@recording.register("issues")
@recording.register("issue_comment")
def record(event: Event, context: StageContext) -> None:
    """Append the event's name, action, delivery id and run id to the record file."""
    line = {
        "event": event.name,
        "action": event.action,
        "delivery_id": event.delivery_id,
        "run_id": context.run_id,
    }
    with open(os.environ["SPECBOT_TEST_RECORD"], "a", encoding="utf-8") as record_file:
        record_file.write(json.dumps(line) + "\n")


# For ``specbot worker --catalog tests.web.routers:recording_catalog``.
recording_catalog = ingest_catalog(recording)
