"""Logs never carry bodies, at any level: a canary prompt and a canary webhook body at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import anthropic
import pytest

from bot.adapters.durable import EngineClient, EngineSettings, Inbox, Received, inbox_engine
from bot.scripted import start_scripted_model
from bot.web import configure_logging

PROMPT_CANARY = "canary-prompt-5f1c0e9a"
BODY_CANARY = "canary-body-7d22b3c4"


@pytest.fixture
def debug_logging(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """specbot's logging at DEBUG, to the captured stderr; the root logger is put back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    configure_logging("DEBUG")
    yield
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_model_request_and_a_stored_body_never_reach_the_log_at_debug(
    debug_logging: None, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The SDK's request logging and the database's parameter logging stay out of the log."""
    server = start_scripted_model({"turns": [{"reply": [{"text": "fine"}]}]})
    try:
        with anthropic.Anthropic(api_key="k", base_url=server.base_url, max_retries=0) as sdk:
            sdk.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=50,
                messages=[{"role": "user", "content": f"Summarise {PROMPT_CANARY}"}],
            )
    finally:
        server.stop()
    database = f"sqlite:///{tmp_path / 'inbox.sqlite'}"
    tables = EngineSettings(database_url=database, application_version="t", executor_id="t")
    EngineClient(tables, create_schema=True).close()
    inbox = Inbox(inbox_engine(database))
    try:
        body = f'{{"comment": "{BODY_CANARY}"}}'.encode()
        inbox.put_many([Received("d-1", "issue_comment", "application/json", body)])
    finally:
        inbox.dispose()
    logging.getLogger("specbot.test").debug("still logging at debug")
    logged = capfd.readouterr().err
    assert "still logging at debug" in logged  # the test saw the log at DEBUG
    assert PROMPT_CANARY not in logged
    assert BODY_CANARY not in logged
