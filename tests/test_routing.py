"""The event router: registration, one-key matching, merging, dispatch."""

from __future__ import annotations

from typing import Any

import pytest

from bot.routing import Router
from bot.webhooks import Event

Calls = list[tuple[str, str]]


def _event(name: str, **payload: Any) -> Event:
    return Event(name=name, delivery_id="d-1", payload=payload)


def test_handler_runs_for_its_event_and_action_only() -> None:
    """A route on (issues, action=labeled) fires for labeled issues and nothing else."""
    router: Router[Calls] = Router()

    @router.register("issues", action="labeled")
    def on_labeled(event: Event, calls: Calls) -> str:
        calls.append(("labeled", event.delivery_id))
        return "done"

    calls: Calls = []
    assert router.dispatch(_event("issues", action="labeled"), calls) == ["done"]
    assert router.dispatch(_event("issues", action="opened"), calls) == []
    assert router.dispatch(_event("pull_request", action="labeled"), calls) == []
    assert calls == [("labeled", "d-1")]


def test_register_returns_the_function_unchanged() -> None:
    """The decorator leaves the handler callable as it was."""
    router: Router[None] = Router()

    def handler(event: Event, ctx: None) -> int:
        return 7

    assert router.register("ping")(handler) is handler


def test_event_wide_and_action_routes_both_fire() -> None:
    """A route without payload detail fires alongside the action-specific one."""
    router: Router[Calls] = Router()
    router.add(lambda e, c: c.append(("any", e.name)), "issue_comment")
    router.add(lambda e, c: c.append(("created", e.name)), "issue_comment", action="created")
    calls: Calls = []
    router.dispatch(_event("issue_comment", action="created"), calls)
    assert sorted(calls) == [("any", "issue_comment"), ("created", "issue_comment")]


def test_routers_merge_in_one_expression() -> None:
    """``Router(a, b)`` holds the routes of both feature routers."""
    first: Router[Calls] = Router()
    second: Router[Calls] = Router()
    first.add(lambda e, c: c.append(("first", "")), "issues", action="labeled")
    second.add(lambda e, c: c.append(("second", "")), "issues", action="labeled")
    second.add(lambda e, c: c.append(("push", "")), "push")
    merged = Router(first, second)
    calls: Calls = []
    merged.dispatch(_event("issues", action="labeled"), calls)
    merged.dispatch(_event("push"), calls)
    assert sorted(calls) == [("first", ""), ("push", ""), ("second", "")]
    assert list(merged.event_names()) == ["issues", "push"]


def test_more_than_one_payload_key_is_refused() -> None:
    """Routes match one payload key deep, as GitHub payloads are matched by action."""
    router: Router[None] = Router()
    with pytest.raises(TypeError, match="one payload key"):
        router.add(lambda e, c: None, "issues", action="labeled", state="open")


def test_unhashable_payload_values_match_nothing() -> None:
    """A list where a string was expected does not crash dispatch."""
    router: Router[None] = Router()
    router.add(lambda e, c: 1, "issues", action="labeled")
    assert router.fetch(_event("issues", action=["labeled"])) == []


def test_unknown_event_has_no_handlers() -> None:
    """Events nobody registered for produce no calls."""
    assert Router[None]().dispatch(_event("marketplace_purchase"), None) == []
