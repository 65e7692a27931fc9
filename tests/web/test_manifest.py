"""The GitHub App manifest (app.yml): least permissions, and every routed event subscribed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.routing import Router
from tests.web.conftest import HANDLED_EVENTS
from tests.web.routers import recording

MANIFEST = Path(__file__).resolve().parents[2] / "app.yml"

PERMISSIONS = {
    "metadata": "read",
    "contents": "write",
    "issues": "write",
    "pull_requests": "write",
    "checks": "write",
    "statuses": "write",
}
# GitHub delivers these to every App without a subscription (and refuses them in a manifest).
ALWAYS_DELIVERED = {"installation", "installation_repositories", "ping"}
# The permission an App needs before GitHub lets it subscribe to an event.
EVENT_PERMISSION = {
    "issues": "issues",
    "issue_comment": "issues",
    "pull_request": "pull_requests",
    "pull_request_review": "pull_requests",
    "pull_request_review_comment": "pull_requests",
    "check_run": "checks",
    "check_suite": "checks",
    "push": "contents",
    "status": "statuses",
}


def manifest() -> dict[str, Any]:
    """The manifest as data."""
    data = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(data, dict)
    return data


def routers() -> list[tuple[str, Router[Any]]]:
    """The routers the App serves: the flows' when installed, and the ones tests route with."""
    found: list[tuple[str, Router[Any]]] = [("tests.web.routers:recording", recording)]
    if importlib.util.find_spec("bot.flows") is not None:
        module = importlib.import_module("bot.flows")
        found.append(("bot.flows:router", module.router))
    return found


def test_permissions_are_exactly_the_ones_the_flows_need() -> None:
    """The manifest asks for exactly the listed permissions, no more and no less."""
    assert manifest()["default_permissions"] == PERMISSIONS


@pytest.mark.parametrize(("name", "router"), routers(), ids=[name for name, _ in routers()])
def test_every_routed_event_is_subscribed(name: str, router: Router[Any]) -> None:
    """Each event a router has handlers for is in default_events (or always delivered)."""
    subscribed = set(manifest()["default_events"]) | ALWAYS_DELIVERED
    missing = set(router.event_names()) - subscribed
    assert not missing, f"{name} handles events app.yml does not subscribe to: {missing}"


def test_the_events_the_server_is_tested_with_are_subscribed() -> None:
    """The events the webhook tests route are all in default_events."""
    assert set(HANDLED_EVENTS) <= set(manifest()["default_events"])


def test_each_event_has_the_permission_github_requires() -> None:
    """GitHub only lets an App subscribe to an event it holds the permission for."""
    permissions = manifest()["default_permissions"]
    for event in manifest()["default_events"]:
        assert EVENT_PERMISSION[event] in permissions, event


def test_webhook_is_active_and_points_at_the_webhook_route() -> None:
    """The manifest's webhook is active and ends with /webhook, where serve listens."""
    hook = manifest()["hook_attributes"]
    assert hook["active"] is True
    assert hook["url"].startswith("https://") and hook["url"].endswith("/webhook")
    assert manifest()["public"] is False
