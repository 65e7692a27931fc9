"""The process's instruments: what each hook records, read back through the exposition."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from bot.agents._resilience import CircuitBreaker
from bot.telemetry import Metrics
from tests.telemetry.exposition import matching, scrape, value

CALLS = "specbot_model_calls_total"
TOKENS = "specbot_model_tokens_total"
COST = "specbot_model_cost_usd_total"


def _response(model: str, role: str, cost: float | None, **usage: int) -> dict[str, object]:
    """A ``model.response`` payload as an agent records it."""
    return {
        "agent": "implementer",
        "turn": 1,
        "role": role,
        "model": model,
        "stop_reason": "end_turn",
        "usage": usage,
        "cost_usd": cost,
        "seconds": 1.5,
        "content": "text",
    }


def test_model_responses_count_calls_tokens_and_cost_by_model_and_role() -> None:
    """Each response is one call; its usage fields add to the four kinds; its cost adds up."""
    metrics = Metrics()
    sonnet = _response(
        "claude-sonnet-5-5",
        "implementer",
        0.25,
        input_tokens=1000,
        output_tokens=200,
        cache_read_input_tokens=5000,
        cache_creation_input_tokens=300,
    )
    metrics.observe_event("model.response", sonnet, flow="spec")
    metrics.observe_event("model.response", sonnet, flow="spec")
    haiku = _response("claude-haiku-5", "reviewer", None, input_tokens=10, output_tokens=5)
    metrics.observe_event("model.response", haiku, flow="review")
    samples = scrape(metrics.registry)
    implementer = {"model": "claude-sonnet-5-5", "role": "implementer"}
    assert value(samples, CALLS, **implementer) == 2
    assert value(samples, COST, **implementer) == 0.5
    kinds = {"input": 2000, "output": 400, "cache_read": 10000, "cache_write": 600}
    for kind, tokens in kinds.items():
        assert value(samples, TOKENS, kind=kind, **implementer) == tokens
    reviewer = {"model": "claude-haiku-5", "role": "reviewer"}
    assert value(samples, CALLS, **reviewer) == 1
    assert value(samples, TOKENS, kind="input", **reviewer) == 10
    assert value(samples, COST, **reviewer) == 0  # not priced: nothing added


def test_stage_durations_are_a_histogram_by_flow_and_stage() -> None:
    """Finished stages fill the histogram; failed attempts are counted apart."""
    metrics = Metrics()
    for seconds in (3.0, 40.0, 4000.0):
        payload = {"stage": "implement", "attempt": 1, "seconds": seconds}
        metrics.observe_event("stage.finished", payload, flow="spec")
    failed = {"stage": "implement", "attempt": 1, "seconds": 2.0, "reason": "boom"}
    metrics.observe_event("stage.failed", failed, flow="spec")
    samples = scrape(metrics.registry)
    labels = {"flow": "spec", "stage": "implement"}
    assert value(samples, "specbot_stage_duration_seconds_count", **labels) == 3
    assert value(samples, "specbot_stage_duration_seconds_sum", **labels) == 4043.0
    assert value(samples, "specbot_stage_duration_seconds_bucket", le="5.0", **labels) == 1
    assert value(samples, "specbot_stage_duration_seconds_bucket", le="60.0", **labels) == 2
    assert value(samples, "specbot_stage_duration_seconds_bucket", le="3600.0", **labels) == 2
    assert value(samples, "specbot_stage_duration_seconds_bucket", le="+Inf", **labels) == 3
    assert value(samples, "specbot_stage_failures_total", **labels) == 1


def test_runs_retries_and_deliveries_are_counted_by_their_labels() -> None:
    """Run ends by flow and state, model retries by status, deliveries by event and outcome."""
    metrics = Metrics()
    metrics.observe_run_finished("spec", "succeeded")
    metrics.observe_run_finished("spec", "succeeded")
    metrics.observe_run_finished("review", "failed")
    for status in (529, 529, None):
        retry = {"agent": "a", "attempt": 1, "status": status, "delay_seconds": 1.0}
        metrics.observe_event("model.retry", retry, flow="spec")
    metrics.observe_delivery("issues", "queued")
    metrics.observe_delivery("issues", "duplicate")
    samples = scrape(metrics.registry)
    assert matching(samples, "specbot_runs_finished_total") == {
        (("flow", "spec"), ("state", "succeeded")): 2,
        (("flow", "review"), ("state", "failed")): 1,
    }
    assert matching(samples, "specbot_model_retries_total") == {
        (("status", "529"),): 2,
        (("status", "none"),): 1,
    }
    assert matching(samples, "specbot_webhook_deliveries_total") == {
        (("event", "issues"), ("outcome", "queued")): 1,
        (("event", "issues"), ("outcome", "duplicate")): 1,
    }


def test_malformed_payloads_count_as_nothing() -> None:
    """Wrong types, negative and non-finite numbers count as 0; other event types pass."""
    metrics = Metrics()
    bad = {"model": 7, "role": None, "usage": {"input_tokens": -5, "output_tokens": "9"}}
    metrics.observe_event("model.response", bad, flow="spec")
    bad_cost = _response("m", "r", float("nan"), input_tokens=True)
    metrics.observe_event("model.response", bad_cost, flow="spec")
    metrics.observe_event("stage.finished", {"stage": "plan", "seconds": "1"}, flow="spec")
    metrics.observe_event("tool.call", {"agent": "a", "tool": "bash"}, flow="spec")
    samples = scrape(metrics.registry)
    assert value(samples, CALLS, model="unknown", role="unknown") == 1
    assert value(samples, TOKENS, model="unknown", role="unknown", kind="input") == 0
    assert value(samples, TOKENS, model="m", role="r", kind="input") == 0
    assert value(samples, COST, model="m", role="r") == 0
    assert matching(samples, "specbot_stage_duration_seconds_count") == {}


def test_hostile_label_values_stay_inside_their_sample() -> None:
    """A model name with quotes, braces, backslashes and newlines is one sample, as written;
    an event name that is not GitHub's is ``other``."""
    metrics = Metrics()
    hostile = 'claude"} 1\nspecbot_fake_total{x="y\\'
    metrics.observe_event("model.response", _response(hostile, "r{ole}", 1.0), flow="spec")
    metrics.observe_delivery('issues"} 99\n# TYPE x counter', "refused")
    samples = scrape(metrics.registry)
    calls = [s for s in samples if s.name == CALLS]
    assert [(s.labels, s.value) for s in calls] == [({"model": hostile, "role": "r{ole}"}, 1.0)]
    assert not [s for s in samples if "fake" in s.name or s.name == "x"]
    assert matching(samples, "specbot_webhook_deliveries_total") == {
        (("event", "other"), ("outcome", "refused")): 1
    }


def test_label_values_are_bounded() -> None:
    """Past the limit new values fold into ``other``; long ones are cut; unknown states and
    outcomes are ``other`` from the start."""
    metrics = Metrics(label_limit=3)
    for model in ("m1", "m2", "m3", "m4", "m5", "m1"):
        metrics.observe_event("model.response", _response(model, "r", 0.0), flow="spec")
    metrics.observe_run_finished("spec", "exploded")
    metrics.observe_delivery("issues", "teleported")
    metrics.observe_event("stage.failed", {"stage": "s" * 500}, flow="spec")
    samples = scrape(metrics.registry)
    assert matching(samples, CALLS) == {
        (("model", "m1"), ("role", "r")): 2,
        (("model", "m2"), ("role", "r")): 1,
        (("model", "m3"), ("role", "r")): 1,
        (("model", "other"), ("role", "r")): 2,
    }
    assert value(samples, "specbot_runs_finished_total", flow="spec", state="other") == 1
    assert value(samples, "specbot_webhook_deliveries_total", event="issues", outcome="other") == 1
    assert value(samples, "specbot_stage_failures_total", flow="spec", stage="s" * 100) == 1


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_state_follows_the_breaker_and_goes_with_it() -> None:
    """Closed 0, open 2, half-open 1 after the cooldown, closed again on success; the worst
    of two; absent once no breaker lives."""
    metrics = Metrics()
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=30.0, clock=clock)
    calm = CircuitBreaker(threshold=2, cooldown=30.0, clock=clock)
    metrics.watch_breaker(breaker)
    metrics.watch_breaker(calm)
    state = "specbot_model_circuit_breaker_state"
    assert value(scrape(metrics.registry), state) == 0
    breaker.record_failure(RuntimeError("overloaded"))
    breaker.record_failure(RuntimeError("overloaded"))
    assert value(scrape(metrics.registry), state) == 2
    clock.now += 31
    assert value(scrape(metrics.registry), state) == 1
    breaker.record_success()
    assert value(scrape(metrics.registry), state) == 0
    del breaker, calm
    gc.collect()
    assert [s for s in scrape(metrics.registry) if s.name == state] == []


@dataclass
class Window:
    """What a GitHub client remembers of its last ``X-RateLimit-*`` headers."""

    rate_limiting: tuple[int, int]
    rate_limiting_resettime: int


def test_rate_limit_is_the_token_closest_to_its_limit() -> None:
    """Of the watched clients, the one with the smallest share left; windows that have reset
    and clients that never heard back do not count."""
    metrics = Metrics(clock=lambda: 1000.0)
    clients = [
        Window((4000, 5000), 2000),
        Window((300, 1000), 2000),
        Window((10, 5000), 900),  # its window reset at 900: it has its whole limit again
        Window((-1, -1), 0),
    ]
    for client in clients:
        metrics.watch_rate_limit(client)
    samples = scrape(metrics.registry)
    assert value(samples, "specbot_github_rate_limit_remaining") == 300
    assert value(samples, "specbot_github_rate_limit_limit") == 1000
    del clients
    gc.collect()
    assert [s for s in scrape(metrics.registry) if "rate_limit" in s.name] == []
