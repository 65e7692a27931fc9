"""Fault injection: errors, latency, rate limits and lost deliveries, per route pattern."""

from __future__ import annotations

import threading
import time

import httpx

from bot.localhub import RunningHub
from tests.hub_fixtures import Receiver

ALICE = {"Authorization": "token ghp_alice"}


def _statuses(hub: RunningHub, count: int) -> list[int]:
    return [
        httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE).status_code
        for _ in range(count)
    ]


def test_error_rate_is_seeded_and_repeatable(hub: RunningHub) -> None:
    """The same random seed gives the same sequence of injected 503s."""
    hub.add_fault({"pattern": "GET /api/v3/repos/*", "error_rate": 0.5, "status": 503})
    hub.hub.faults.reseed(7)
    first = _statuses(hub, 20)
    hub.hub.faults.reseed(7)
    second = _statuses(hub, 20)
    assert first == second
    assert set(first) == {200, 503}


def test_faults_only_hit_matching_routes(hub: RunningHub) -> None:
    """A rule for issues leaves other routes alone; clearing faults restores service."""
    hub.add_fault({"pattern": "*/issues*", "error_rate": 1.0, "status": 502})
    issues = httpx.get(hub.api_url + "/repos/acme/widgets/issues", headers=ALICE)
    assert issues.status_code == 502
    assert issues.json()["message"] == "Bad Gateway"
    assert httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE).status_code == 200
    hub.clear_faults()
    assert httpx.get(hub.api_url + "/repos/acme/widgets/issues", headers=ALICE).status_code == 200


def test_a_fault_can_apply_a_limited_number_of_times(hub: RunningHub) -> None:
    """``times: 2`` fails two requests, then the rule is gone."""
    hub.add_fault({"pattern": "*", "error_rate": 1.0, "status": 500, "times": 2})
    assert _statuses(hub, 3) == [500, 500, 200]


def test_latency_is_added(hub: RunningHub) -> None:
    """A latency rule delays matching requests by at least its milliseconds."""
    hub.add_fault({"pattern": "GET /api/v3/rate_limit", "latency_ms": 300})
    started = time.perf_counter()
    assert httpx.get(hub.api_url + "/rate_limit", headers=ALICE).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_primary_rate_limit_exhaustion(hub: RunningHub) -> None:
    """An exhausted primary limit is a 403 with X-RateLimit-Remaining: 0 and a reset time."""
    hub.add_fault({"pattern": "*", "rate_limit": True})
    response = httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE)
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) > time.time()
    assert response.json()["message"].startswith("API rate limit exceeded")


def test_primary_rate_limit_with_a_near_reset(hub: RunningHub) -> None:
    """``reset_after`` puts X-RateLimit-Reset that many seconds ahead, for clients that wait."""
    hub.add_fault({"pattern": "*", "rate_limit": True, "reset_after": 2, "times": 1})
    before = time.time()
    response = httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE)
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert before + 1 <= int(response.headers["x-ratelimit-reset"]) <= time.time() + 3
    assert httpx.get(hub.api_url + "/repos/acme/widgets", headers=ALICE).status_code == 200


def test_secondary_rate_limit_has_retry_after(hub: RunningHub) -> None:
    """A secondary limit is a 403 with Retry-After and GitHub's message."""
    hub.add_fault({"pattern": "POST *", "secondary_rate_limit": True, "retry_after": 30})
    response = httpx.post(
        hub.api_url + "/repos/acme/widgets/issues", headers=ALICE, json={"title": "x"}
    )
    assert response.status_code == 403
    assert response.headers["retry-after"] == "30"
    assert "secondary rate limit" in response.json()["message"]
    assert hub.state()["issues"] == {}


def test_dropped_deliveries_are_logged_and_can_be_redelivered(
    hub: RunningHub, receiver: Receiver
) -> None:
    """A dropped delivery never reaches the receiver, shows as dropped, and redelivery sends it."""
    hub.add_fault({"pattern": "issues.opened", "drop_webhooks": 1.0, "times": 1})
    hub.open_issue("acme/widgets", "Lost", as_user="alice")
    assert hub.wait_for_deliveries()
    assert receiver.requests == []
    [delivery] = hub.deliveries("issues")
    assert delivery["status"] == "dropped"
    again = hub.redeliver(delivery["id"])
    assert hub.wait_for_deliveries()
    assert again["guid"] == delivery["guid"]
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["x-github-delivery"] == delivery["guid"]
    assert hub.deliveries("issues")[-1]["status_code"] == 200


def test_failed_deliveries_are_not_retried(hub: RunningHub, receiver: Receiver) -> None:
    """A receiver answering 500 gets the delivery once; the log keeps the 500."""
    receiver.status = 500
    hub.open_issue("acme/widgets", "Once", as_user="alice")
    assert hub.wait_for_deliveries()
    time.sleep(0.2)
    assert len(receiver.requests) == 1
    assert [d["status_code"] for d in hub.deliveries("issues")] == [500]


def test_slow_receivers_do_not_slow_the_api(hub: RunningHub, receiver: Receiver) -> None:
    """Deliveries go out from a worker: the API answers while the receiver still holds one."""
    receiver.gate = threading.Event()
    response = httpx.post(
        hub.api_url + "/repos/acme/widgets/issues", headers=ALICE, json={"title": "fast"}
    )
    assert response.status_code == 201
    assert receiver.requests == []
    assert [d["status"] for d in hub.deliveries("issues")] == ["pending"]
    receiver.gate.set()
    assert hub.wait_for_deliveries()
    assert len(receiver.requests) == 1
