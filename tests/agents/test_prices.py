"""The bundled price table: Anthropic's published rates, long-context rates, and unknown models
priced high with a warning, never as free."""

from __future__ import annotations

import logging

import pytest

from bot.agents import PriceTable, Usage, UsageLedger

# Models on Anthropic's public pricing page, with their base input and output rates.
PUBLISHED = {
    "claude-opus-4-6": (5.0, 25.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
}
# Published cache rates that do not follow the multipliers: (5-minute write, read).
EXCEPTIONS = {"claude-3-haiku": (0.30, 0.03)}
TABLE = PriceTable.bundled()


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_published_models_have_their_published_rates(model: str):
    """Base rates as published; cache writes 1.25x input (5 minutes) and 2x (1 hour), cache
    reads a tenth of input, as the pricing page's multipliers say (Haiku 3 rounds its own)."""
    price = TABLE.price(model)
    assert (price.input, price.output) == PUBLISHED[model]
    write, read = EXCEPTIONS.get(model, (price.input * 1.25, price.input / 10))
    assert price.cache_write == pytest.approx(write)
    assert price.cache_write_1h == pytest.approx(price.input * 2)
    assert price.cache_read == pytest.approx(read)


def test_dated_ids_use_their_familys_price():
    assert TABLE.price("claude-3-5-haiku-20241022") == TABLE.price("claude-3-5-haiku")
    assert TABLE.price("claude-sonnet-4-5-20250929") == TABLE.price("claude-sonnet-4-5")


def test_a_request_over_200k_input_tokens_pays_long_context_rates_on_every_token():
    price = TABLE.price("claude-sonnet-4-5")
    short = Usage(input_tokens=1_000, cache_read_input_tokens=199_000, output_tokens=1_000)
    long = Usage(input_tokens=1_000, cache_read_input_tokens=200_000, output_tokens=1_000)
    assert price.cost(short) == pytest.approx((1_000 * 3 + 199_000 * 0.3 + 1_000 * 15) / 1e6)
    assert price.cost(long) == pytest.approx((1_000 * 6 + 200_000 * 0.6 + 1_000 * 22.5) / 1e6)


def test_models_without_a_long_context_surcharge_keep_their_rates():
    price = TABLE.price("claude-opus-4-6")
    usage = Usage(input_tokens=500_000, output_tokens=1_000)
    assert price.cost(usage) == pytest.approx((500_000 * 5 + 1_000 * 25) / 1e6)


def test_an_unknown_model_is_priced_as_the_most_expensive_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
):
    ledger = UsageLedger(TABLE)
    usage = Usage(input_tokens=1_000_000)
    with caplog.at_level(logging.WARNING):
        first = ledger.record("a", "claude-future-9", usage)
        ledger.record("b", "claude-future-9", usage)
    assert not first.priced
    highest_input = max(TABLE.price(m).input for m in PUBLISHED)
    assert first.cost_usd >= highest_input  # never free, never cheaper than a known model
    warnings = [r.getMessage() for r in caplog.records if "claude-future-9" in r.getMessage()]
    assert len(warnings) == 1
    assert "not in the price table" in warnings[0]
