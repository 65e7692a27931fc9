"""Who may start specbot, through localhub's signed webhooks: write access only, no bots, never
specbot itself; a refused person gets one polite reply and no model ever hears of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows._runs import spec_prefix
from bot.offline import OfflineStack
from tests.flows.stack_fixtures import (
    INSTALLATION_ID,
    READY_SPEC,
    REPO,
    implement_script,
    model_requests,
    own_comments,
    settle,
    start_with_users,
)

pytestmark = pytest.mark.slow

ROLES = {"trent": "triage", "renovate[bot]": "write"}


def _runs(stack: OfflineStack, issue: int) -> list[str]:
    return stack.services.runs.run_ids(spec_prefix(REPO, issue))


def _reactions(stack: OfflineStack, issue: int) -> list[dict[str, object]]:
    return [r for r in stack.hub.state()["reactions"].values() if r["number"] == issue]


def test_people_without_write_access_bots_and_specbot_itself_start_nothing(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """A reader's command (twice), a triager's label (twice), a bot with write access and
    specbot's own comment start no run and reach no model; each refused person is answered
    exactly once on their issue, the bot and specbot not at all."""
    with start_with_users(tmp_path, app_key_pem, implement_script(), ROLES) as stack:
        hub = stack.hub
        by_reader = hub.open_issue(REPO, "Inches", READY_SPEC, as_user="alice")["number"]
        by_triager = hub.open_issue(REPO, "Inches 2", READY_SPEC, as_user="alice")["number"]
        by_bot = hub.open_issue(REPO, "Inches 3", READY_SPEC, as_user="alice")["number"]
        by_self = hub.open_issue(REPO, "Inches 4", READY_SPEC, as_user="alice")["number"]

        hub.comment(REPO, by_reader, "/specbot run", as_user="mallory")
        hub.label(REPO, by_triager, ["spec"], as_user="trent")
        hub.comment(REPO, by_bot, "/specbot run", as_user="renovate[bot]")
        hub.label(REPO, by_bot, ["spec"], as_user="renovate[bot]")
        specbot = stack.services.github(REPO, INSTALLATION_ID)
        specbot.create_comment(by_self, "/specbot run")
        settle(stack)
        # the second attempts, after the first replies were posted
        hub.comment(REPO, by_reader, "/specbot run\n\nplease?", as_user="mallory")
        hub.unlabel(REPO, by_triager, "spec", as_user="trent")
        hub.label(REPO, by_triager, ["spec"], as_user="trent")
        settle(stack)

        assert model_requests(stack) == []
        for issue in (by_reader, by_triager, by_bot, by_self):
            assert _runs(stack, issue) == [], issue
        reader_replies = own_comments(stack, by_reader)
        assert len(reader_replies) == 1
        assert "@mallory" in reader_replies[0]["body"]
        assert "write access" in reader_replies[0]["body"]
        triager_replies = own_comments(stack, by_triager)
        assert len(triager_replies) == 1 and "@trent" in triager_replies[0]["body"]
        assert own_comments(stack, by_bot) == []
        assert [c["body"] for c in own_comments(stack, by_self)] == ["/specbot run"]
        for issue in (by_reader, by_triager, by_bot, by_self):
            assert _reactions(stack, issue) == [], issue
        assert hub.state()["statuses"] == {}
        # every attempt arrived and its dispatch ended well: the refusals are decisions, not
        # handlers that failed
        attempts = [d for d in hub.deliveries() if d["action"] in ("created", "labeled")]
        senders = {d["payload"]["sender"]["login"]: d["payload"]["sender"] for d in attempts}
        assert set(senders) == {"mallory", "trent", "renovate[bot]", "specbot[bot]"}
        assert senders["renovate[bot]"]["type"] == "Bot"
        for delivery in attempts:
            assert delivery["status_code"] == 202, delivery
            assert stack.engine.status(f"delivery:{delivery['guid']}") == "SUCCESS", delivery
