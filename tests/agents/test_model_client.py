"""The model client over the real SDK: retries, circuit breaker, streaming, caching, usage."""

from __future__ import annotations

import random
import socket

import pytest

from bot.agents import (
    CircuitBreaker,
    CircuitOpenError,
    ModelRequest,
    ModelResponse,
    ModelUnavailableError,
    PermanentModelError,
    PriceTable,
    ResilientModel,
    RetryPolicy,
    TransientModelError,
    UsageLedger,
)
from bot.scripted import count_text_tokens
from bot.settings import Settings
from tests.agents.conftest import MODEL, FakeClock, Sleeps, Stack, StartModel

REQUEST = ModelRequest(
    agent="tester", system="You test.", messages=[{"role": "user", "content": "Go."}]
)
OK = [{"text": "ok"}]
EPHEMERAL = {"type": "ephemeral"}


def statuses(server) -> list[int]:
    return [entry.status for entry in server.log.entries()]


def test_retry_after_is_honoured_and_attempts_are_counted(
    start_model: StartModel, anthropic_model: Stack
):
    """Two 429s with retry-after: 2 are waited out exactly, and the third attempt succeeds."""
    server = start_model(
        {"turns": [{"fault": {"status": 429, "retry_after": 2, "times": 2}, "reply": OK}]}
    )
    sleeps = Sleeps()
    model = ResilientModel(anthropic_model(server.base_url), sleep=sleeps)
    response = model.complete(REQUEST)
    assert response.text() == "ok"
    assert sleeps.waits == [2.0, 2.0]
    assert statuses(server) == [429, 429, 200]


def test_overload_without_retry_after_backs_off_exponentially_with_jitter(
    start_model: StartModel, anthropic_model: Stack
):
    """529s without retry-after wait about 1, 2 and 4 s (equal jitter), then succeed."""
    server = start_model({"turns": [{"fault": {"status": 529, "times": 3}, "reply": OK}]})
    sleeps = Sleeps()
    model = ResilientModel(
        anthropic_model(server.base_url),
        sleep=sleeps,
        policy=RetryPolicy(base_delay=1.0),
        rng=random.Random(3),
    )
    assert model.complete(REQUEST).text() == "ok"
    assert len(sleeps.waits) == 3
    for wait, ceiling in zip(sleeps.waits, [1.0, 2.0, 4.0], strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert statuses(server) == [529, 529, 529, 200]


def test_server_errors_exhaust_the_attempts_with_a_clear_error(
    start_model: StartModel, anthropic_model: Stack
):
    """Persistent 500s stop after max_attempts with an error naming the attempts and the cause."""
    server = start_model({"turns": [{"fault": {"status": 500, "times": None}}]})
    sleeps = Sleeps()
    model = ResilientModel(
        anthropic_model(server.base_url),
        sleep=sleeps,
        policy=RetryPolicy(max_attempts=3),
        breaker=CircuitBreaker(threshold=10),
    )
    with pytest.raises(ModelUnavailableError, match=r"after 3 attempts.*500 api_error"):
        model.complete(REQUEST)
    assert statuses(server) == [500, 500, 500]
    assert len(sleeps.waits) == 2


def test_connection_errors_are_retried(anthropic_model: Stack):
    """A refused connection is transient: retried, then reported as unavailable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inner = anthropic_model(f"http://127.0.0.1:{port}", timeout=2.0)
    where = f"http://127.0.0.1:{port}/v1/messages"
    with pytest.raises(TransientModelError, match=f"connection_error to {where}: "):
        inner.complete(REQUEST)
    sleeps = Sleeps()
    model = ResilientModel(inner, sleep=sleeps, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(ModelUnavailableError, match="after 2 attempts") as unavailable:
        model.complete(REQUEST)
    assert where in str(unavailable.value)  # the URL is named, also after the retries
    assert len(sleeps.waits) == 1


def test_a_bad_request_is_not_retried(start_model: StartModel, anthropic_model: Stack):
    """A 400 is permanent: one attempt, no wait, the API's message in the error."""
    server = start_model({"turns": [{"when": {"turn": 5}, "reply": OK}]})
    sleeps = Sleeps()
    model = ResilientModel(anthropic_model(server.base_url), sleep=sleeps)
    with pytest.raises(PermanentModelError, match="400 invalid_request_error: scripted model"):
        model.complete(REQUEST)
    assert statuses(server) == [400]
    assert sleeps.waits == []


def test_retry_after_longer_than_allowed_gives_up_at_once(
    start_model: StartModel, anthropic_model: Stack
):
    """A server asking for a ten-minute pause is reported as unavailable, not waited for."""
    server = start_model({"turns": [{"fault": {"status": 429, "retry_after": 600}}]})
    sleeps = Sleeps()
    model = ResilientModel(
        anthropic_model(server.base_url), sleep=sleeps, policy=RetryPolicy(max_retry_after=120)
    )
    with pytest.raises(ModelUnavailableError, match="retry after 600 s"):
        model.complete(REQUEST)
    assert sleeps.waits == []


def test_circuit_breaker_opens_refuses_then_lets_a_trial_through(
    start_model: StartModel, anthropic_model: Stack
):
    """After 3 consecutive failures the breaker opens and says so; after the cooldown one trial
    call goes through, and its success closes the breaker."""
    server = start_model({"turns": [{"fault": {"status": 529, "times": 4}, "reply": OK}]})
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, cooldown=30, clock=clock)
    model = ResilientModel(
        anthropic_model(server.base_url),
        sleep=Sleeps(),
        breaker=breaker,
        policy=RetryPolicy(max_attempts=10),
    )
    with pytest.raises(CircuitOpenError, match="open after 3 consecutive failures") as caught:
        model.complete(REQUEST)
    assert "529 overloaded_error" in str(caught.value)
    assert "next attempt allowed in 30.0 s" in str(caught.value)
    with pytest.raises(CircuitOpenError):
        model.complete(REQUEST)
    assert len(server.log) == 3  # refused without a request
    clock.now += 31
    with pytest.raises(CircuitOpenError, match="open after 4 consecutive failures"):
        model.complete(REQUEST)  # the trial fails: open again at once
    assert len(server.log) == 4
    clock.now += 31
    assert model.complete(REQUEST).text() == "ok"
    assert not breaker.is_open


def test_streaming_and_plain_calls_give_the_same_response(
    start_model: StartModel, anthropic_model: Stack
):
    """Both transports parse to the same content, stop reason and usage."""
    script = {
        "turns": [
            {
                "reply": [
                    {"text": "Looking."},
                    {"tool_use": {"name": "bash", "input": {"command": "ls"}}},
                ]
            }
        ]
    }
    server = start_model(script)
    plain = anthropic_model(server.base_url).complete(REQUEST)
    streamed = anthropic_model(server.base_url, stream=True).complete(REQUEST)
    assert streamed.content[0] == plain.content[0] == {"type": "text", "text": "Looking."}
    assert streamed.tool_uses()[0]["input"] == plain.tool_uses()[0]["input"] == {"command": "ls"}
    assert streamed.stop_reason == plain.stop_reason == "tool_use"
    assert streamed.usage.output_tokens == plain.usage.output_tokens
    assert [e.stream for e in server.log.entries()] == [False, True]


def test_accounted_usage_and_cost_equal_the_servers_usage(
    start_model: StartModel, anthropic_model: Stack
):
    """The ledger's per-agent and run totals equal the usage the server reported, and the cost
    is the price table applied to it."""
    server = start_model({"turns": [{"reply": [{"text": "a fine answer, thanks"}]}]})
    model = anthropic_model(server.base_url)
    ledger = UsageLedger(PriceTable.bundled())
    for agent in ("security", "style", "security"):
        response = model.complete(REQUEST.model_copy(update={"agent": agent}))
        ledger.record(agent, response.model, response.usage)
    served = [e.usage or {} for e in server.log.entries()]
    assert len(served) == 3 and all(served)
    for field in (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ):
        assert getattr(ledger.usage(), field) == sum(u[field] for u in served)
    assert ledger.usage("security").output_tokens == 2 * served[0]["output_tokens"]
    total = ledger.usage()
    price = PriceTable.bundled().price(MODEL)
    expected = (
        total.input_tokens * 2.0
        + total.output_tokens * 10.0
        + total.cache_creation_input_tokens * 2.5
        + total.cache_read_input_tokens * 0.1
    ) / 1_000_000
    assert price.input == 2.0
    assert ledger.cost_usd() == pytest.approx(expected)
    assert ledger.cost_usd("style") == pytest.approx(ledger.calls()[1].cost_usd)


def test_reviewers_with_different_prompts_share_the_cached_context(
    start_model: StartModel, anthropic_model: Stack
):
    """Breakpoints sit on the tools, the shared system prompt, the shared context (first in the
    first message, before each role's own text) and the last block, so a second reviewer reads
    the shared diff from the cache instead of paying for it again."""
    server = start_model({"turns": [{"reply": OK}]})
    model = anthropic_model(server.base_url)
    shared = "diff --git a/x.py b/x.py\n" + "+ added line of code\n" * 60
    tools = [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]

    def review(agent: str, role_text: str) -> ModelResponse:
        return model.complete(
            ModelRequest(
                agent=agent,
                system="You are one agent of specbot.",
                messages=[{"role": "user", "content": f"{role_text}\n\nReview the diff."}],
                tools=tools,
                shared_context=shared,
            )
        )

    first = review("security", "You review security.")
    second = review("style", "You review style.")
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation_input_tokens > count_text_tokens(shared)
    assert second.usage.cache_read_input_tokens >= count_text_tokens(shared)
    body = server.log.entries()[0].body
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["system"] == [
        {"type": "text", "text": "You are one agent of specbot.", "cache_control": EPHEMERAL}
    ]
    opening = body["messages"][0]["content"]
    assert opening[0] == {"type": "text", "text": shared, "cache_control": EPHEMERAL}
    assert opening[1]["text"].startswith("You review security.")
    assert body["messages"][-1]["content"][-1]["cache_control"] == EPHEMERAL


def test_count_tokens_agrees_with_billed_input(start_model: StartModel, anthropic_model: Stack):
    """count_tokens equals the input a first (uncached) call is billed for in total."""
    server = start_model({"turns": [{"reply": OK}]})
    model = anthropic_model(server.base_url)
    counted = model.count_tokens(REQUEST)
    usage = model.complete(REQUEST).usage
    assert counted == (
        usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    )


def test_client_is_configured_from_settings(start_model: StartModel):
    """Key, base URL and model come from settings; a missing key is a clear error."""
    from bot.adapters.anthropic_model import AnthropicModel

    server = start_model({"api_key": "from-settings", "turns": [{"reply": OK}]})
    settings = Settings(
        ANTHROPIC_API_KEY="from-settings", ANTHROPIC_BASE_URL=server.base_url, SPECBOT_MODEL=MODEL
    )
    model = AnthropicModel.from_settings(settings)
    try:
        assert model.complete(REQUEST).model == MODEL
    finally:
        model.close()
    with pytest.raises(PermanentModelError, match="ANTHROPIC_API_KEY is not set"):
        AnthropicModel.from_settings(Settings(SPECBOT_MODEL=MODEL))


def test_an_overload_in_the_middle_of_a_stream_is_retried(
    start_model: StartModel, anthropic_model: Stack
):
    """A stream that starts and then sends an overloaded_error event is a transient failure."""
    server = start_model({"turns": [{"fault": {"status": 529, "in_stream": True}, "reply": OK}]})
    sleeps = Sleeps()
    streaming = anthropic_model(server.base_url, stream=True)
    model = ResilientModel(streaming, sleep=sleeps, rng=random.Random(1))
    assert model.complete(REQUEST).text() == "ok"
    assert len(sleeps.waits) == 1
    assert [(e.stream, e.status) for e in server.log.entries()] == [(True, 529), (True, 200)]


def test_production_stack_and_budget_come_from_settings(start_model: StartModel):
    """SPECBOT_MODEL_MAX_ATTEMPTS bounds the attempts; run budgets and secrets come from
    settings too."""
    from bot.adapters.anthropic_model import resilient_model_from_settings
    from bot.agents import RunBudget

    server = start_model({"turns": [{"fault": {"status": 500, "times": None}}]})
    settings = Settings(
        ANTHROPIC_API_KEY="sk-ant-from-settings",
        SPECBOT_MODEL=MODEL,
        ANTHROPIC_BASE_URL=server.base_url,
        SPECBOT_MODEL_MAX_ATTEMPTS=1,
        SPECBOT_RUN_MAX_TOKENS=1000,
        SPECBOT_RUN_MAX_COST_USD=0.5,
        GITHUB_WEBHOOK_SECRET="hook-secret",
    )
    model = resilient_model_from_settings(settings)
    try:
        with pytest.raises(ModelUnavailableError, match="after 1 attempts"):
            model.complete(REQUEST)
    finally:
        model.close()
    assert len(server.log) == 1
    assert RunBudget.from_settings(settings) == RunBudget(max_tokens=1000, max_cost_usd=0.5)
    assert sorted(settings.secret_values()) == ["hook-secret", "sk-ant-from-settings"]


def test_after_the_cooldown_only_one_trial_call_is_admitted():
    """While the trial call is out, other callers are refused; a bad request frees the slot."""
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure(TransientModelError("529 overloaded_error: Overloaded"))
    with pytest.raises(CircuitOpenError, match="next attempt allowed in 10.0 s"):
        breaker.before_call()
    clock.now += 10
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpenError, match="a trial call is in progress"):
        breaker.before_call()
    breaker.release()
    breaker.before_call()
    breaker.record_success()
    assert not breaker.is_open
    breaker.before_call()
    breaker.before_call()  # closed: everyone is admitted
