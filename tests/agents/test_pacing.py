"""Callers sharing one model under real rate limits: a 429 is back-pressure for everyone, not a
failure that opens the breaker; input tokens per minute are paced; a review's first call writes
the shared cache entry before the other reviewers start."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.agents import (
    CircuitBreaker,
    InputRateLimit,
    ModelRequest,
    ModelResponse,
    ModelUnavailableError,
    ResilientModel,
    RetryPolicy,
    Usage,
)
from bot.work import CachePrimer
from tests.agents.conftest import MODEL, FakeClock, Sleeps, Stack, StartModel

OK = [{"text": "ok"}]


def request(agent: str = "tester") -> ModelRequest:
    return ModelRequest(agent=agent, system="s", messages=[{"role": "user", "content": "Go."}])


class ClockSleeps(Sleeps):
    """Records each wait and moves the fake clock by it, as time would."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        self.clock.now += seconds


def test_a_burst_of_429s_does_not_open_the_breaker_and_every_caller_finishes(
    start_model: StartModel, anthropic_model: Stack
):
    """Eight 429s across five concurrent reviewers, with a breaker that opens after three
    failures: all five get their answer and the breaker never opens."""
    server = start_model(
        {"turns": [{"fault": {"status": 429, "retry_after": 1, "times": 8}, "reply": OK}]}
    )
    breaker = CircuitBreaker(threshold=3, cooldown=30)
    model = ResilientModel(anthropic_model(server.base_url), sleep=Sleeps(), breaker=breaker)
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda n: model.complete(request(f"r{n}")).text(), range(5)))
    assert answers == ["ok"] * 5
    assert not breaker.is_open
    statuses = [entry.status for entry in server.log.entries()]
    assert statuses.count(429) == 8
    assert statuses.count(200) == 5


def test_overloads_still_open_the_breaker(start_model: StartModel, anthropic_model: Stack):
    """Only 429s are back-pressure: 529s count as failures as before."""
    server = start_model({"turns": [{"fault": {"status": 529, "times": None}}]})
    breaker = CircuitBreaker(threshold=3, cooldown=30)
    model = ResilientModel(
        anthropic_model(server.base_url),
        sleep=Sleeps(),
        breaker=breaker,
        policy=RetryPolicy(max_attempts=10),
    )
    with pytest.raises(ModelUnavailableError, match="open after 3 consecutive failures"):
        model.complete(request())
    assert breaker.is_open


def test_one_callers_429_holds_the_others_for_its_retry_after(
    start_model: StartModel, anthropic_model: Stack
):
    server = start_model(
        {"turns": [{"fault": {"status": 429, "retry_after": 7, "times": 1}, "reply": OK}]}
    )
    clock = FakeClock()
    sleeps = Sleeps()  # records waits; the fake clock stands still
    model = ResilientModel(anthropic_model(server.base_url), sleep=sleeps, clock=clock)
    first = threading.Thread(target=model.complete, args=(request("first"),))
    first.start()
    first.join()
    assert sleeps.waits == [7.0]  # the caller that got the 429 waited its retry-after
    second = threading.Thread(target=model.complete, args=(request("second"),))
    second.start()
    second.join()
    assert sleeps.waits == [7.0, 7.0]  # the next caller waited out the same hold
    clock.now += 8
    model.complete(request("later"))
    assert sleeps.waits == [7.0, 7.0]  # the hold is over


def test_endless_429s_end_in_a_clear_unavailable_error(
    start_model: StartModel, anthropic_model: Stack
):
    server = start_model({"turns": [{"fault": {"status": 429, "retry_after": 1, "times": None}}]})
    breaker = CircuitBreaker(threshold=2)
    model = ResilientModel(
        anthropic_model(server.base_url),
        sleep=Sleeps(),
        breaker=breaker,
        policy=RetryPolicy(max_rate_limited=4),
    )
    with pytest.raises(ModelUnavailableError, match="still rate-limited after 4 waits"):
        model.complete(request())
    assert len(server.log) == 5
    assert not breaker.is_open


def test_the_input_limit_waits_for_the_minute_to_free_up():
    clock = FakeClock()
    sleeps = ClockSleeps(clock)
    limit = InputRateLimit(1_000, clock=clock, sleep=sleeps)
    assert limit.wait() == 0
    limit.record(600)
    clock.now += 10
    limit.record(500)  # 1,100 in the last minute: over the limit
    clock.now += 5
    assert limit.wait() == pytest.approx(45.0)  # until the first call leaves the window
    assert limit.spent() == 500
    assert limit.wait() == 0


class InstantModel:
    """A model port answering at once with a fixed usage."""

    def __init__(self, usage: Usage) -> None:
        self.usage = usage
        self.calls = 0

    def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        content = [{"type": "text", "text": "ok"}]
        return ModelResponse(
            id=f"m{self.calls}",
            model=MODEL,
            content=content,
            stop_reason="end_turn",
            usage=self.usage,
        )


def test_calls_are_paced_by_fresh_input_and_cache_writes_not_cache_reads():
    clock = FakeClock()
    sleeps = ClockSleeps(clock)
    events: list[tuple[str, dict[str, object]]] = []
    usage = Usage(input_tokens=300, cache_creation_input_tokens=100, cache_read_input_tokens=9_000)
    inner = InstantModel(usage)
    model = ResilientModel(
        inner,
        sleep=sleeps,
        clock=clock,
        input_limit=InputRateLimit(1_000, clock=clock, sleep=sleeps),
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    for _ in range(3):
        model.complete(request())  # 400 each: the third brings the minute to 1,200
    assert sleeps.waits == []
    model.complete(request())
    assert sleeps.waits == [pytest.approx(60.0)]
    assert [kind for kind, _ in events] == ["model.paced"]
    assert inner.calls == 4


def test_the_primer_lets_the_first_call_finish_before_the_others_start():
    primer = CachePrimer(timeout=30)
    release = threading.Event()
    order: list[str] = []
    lock = threading.Lock()

    def call(request: ModelRequest) -> ModelResponse:
        with lock:
            order.append(f"start {request.agent}")
        if request.agent == "leader":
            assert release.wait(10)
        with lock:
            order.append(f"end {request.agent}")
        return InstantModel(Usage()).complete(request)

    leader = threading.Thread(target=primer.wrap(call, leader=True), args=(request("leader"),))
    leader.start()
    while not order:
        threading.Event().wait(0.01)
    others = [
        threading.Thread(target=primer.wrap(call, leader=False), args=(request(f"r{n}"),))
        for n in range(3)
    ]
    for thread in others:
        thread.start()
    threading.Event().wait(0.2)
    assert order == ["start leader"]  # nobody else started while the first call ran
    release.set()
    for thread in [leader, *others]:
        thread.join(10)
    assert order[:2] == ["start leader", "end leader"]
    assert len(order) == 8


def test_a_failed_first_call_does_not_leave_the_others_waiting():
    primer = CachePrimer(timeout=30)

    def failing(request: ModelRequest) -> ModelResponse:
        raise ModelUnavailableError("down")

    with pytest.raises(ModelUnavailableError):
        primer.wrap(failing, leader=True)(request("leader"))
    answered = primer.wrap(InstantModel(Usage()).complete, leader=False)(request("next"))
    assert answered.text() == "ok"
