"""The demo's summary prices the model calls it made, as a run's ledger would."""

from __future__ import annotations

import pytest

from bot.offline import model_cost
from bot.scripted import LoggedRequest


def _entry(index: int, model: object, usage: dict[str, int] | None) -> LoggedRequest:
    return LoggedRequest(
        index=index,
        path="/v1/messages",
        stream=False,
        headers={},
        body={"model": model},
        status=200,
        usage=usage,
    )


def test_cost_is_each_kind_of_token_at_the_models_price() -> None:
    """claude-sonnet-5-5: $2 in, $10 out, $2.5 cache writes, $0.1 cache reads per million."""
    usage = {
        "input_tokens": 1_000_000,
        "output_tokens": 100_000,
        "cache_creation_input_tokens": 200_000,
        "cache_read_input_tokens": 1_000_000,
    }
    entries = [_entry(0, "claude-sonnet-5-5", usage), _entry(1, "claude-sonnet-5-5", None)]
    assert model_cost(entries) == pytest.approx(2.0 + 1.0 + 0.5 + 0.1)


def test_an_unknown_or_missing_model_is_priced_at_the_highest_rates() -> None:
    """A call is never free because its model is odd: the table's highest price applies."""
    usage = {"input_tokens": 1_000_000, "server_tool_use": 3}  # unknown usage keys are ignored
    for model in ("gpt-nothing", None, {"not": "a name"}):
        assert model_cost([_entry(0, model, usage)]) == pytest.approx(15.0)
