"""Durability against real crashes: SIGKILLed worker subprocesses, restarted or replaced."""

from __future__ import annotations

import pytest

from bot.adapters.durable import EngineClient, EngineSettings
from tests.orchestra.conftest import SpawnWorker
from tests.orchestra.ledger import Ledger

STAGES = ["plan", "implement", "check", "publish"]


def _client(url: str) -> EngineClient:
    return EngineClient(
        EngineSettings(database_url=url, application_version="test", executor_id="client")
    )


@pytest.mark.slow
def test_killed_in_each_stage_in_turn_every_effect_happens_once(
    spawn_worker: SpawnWorker, sqlite_url: str, ledger: Ledger
) -> None:
    """A worker SIGKILLed inside each of four stages in turn is restarted each time; the run
    finishes, every stage's side effect happened exactly once, and no finished stage re-ran."""
    block = {"SPECBOT_TEST_BLOCK": "1"}
    worker = spawn_worker(sqlite_url, "w1", env=block).wait_ready()
    with _client(sqlite_url) as client:
        run = client.start_pipeline("four-stages", {"text": "add login"}, workflow_id="crash-run")
        for index, stage in enumerate(STAGES):
            ledger.wait_for("attempt", f"crash-run:{stage}")
            worker.kill()
            assert ledger.count("effect", f"crash-run:{stage}") == 0
            worker = spawn_worker(sqlite_url, "w1", env=block).wait_ready()
            ledger.wait_for("attempt", f"crash-run:{stage}", count=2)
            for done in STAGES[:index]:
                assert ledger.count("attempt", f"crash-run:{done}") == 2, done
        assert client.result(run, timeout=60) == {"url": "https://example.test/pr/2"}
    assert worker.stop() == 0
    for stage in STAGES:
        assert ledger.count("effect", f"crash-run:{stage}") == 1, stage
        assert ledger.count("attempt", f"crash-run:{stage}") == 2, stage
        # only the first start was told it was first: the one after the crash looked
        assert ledger.count("first", f"crash-run:{stage}") == 1, stage
