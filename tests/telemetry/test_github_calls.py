"""GitHub API calls counted through the real adapter against localhub, and the rate limit."""

from __future__ import annotations

import gc
import socket
from collections import Counter
from pathlib import Path

import pytest
import requests
from github import Auth

from bot.adapters.github import PyGithubRepo, make_client, make_retry
from bot.localhub import RunningHub
from bot.telemetry import METRICS
from tests.hub_fixtures import APP_ID, INSTALLATION_ID
from tests.telemetry.exposition import matching, scrape, value

REPO = "acme/widgets"
CALLS = "specbot_github_api_calls_total"


def _calls() -> Counter[tuple[str, str]]:
    """The process's GitHub call counts by (method, status class)."""
    found = matching(scrape(METRICS.registry), CALLS)
    return Counter({(dict(k)["method"], dict(k)["status_class"]): int(v) for k, v in found.items()})


def _logged(hub: RunningHub, since: int) -> Counter[tuple[str, str]]:
    """What localhub answered after its ``since``-th request, the same way."""
    return Counter(
        (entry["method"], f"{entry['status'] // 100}xx") for entry in hub.requests()[since:]
    )


def test_every_request_and_retry_is_counted_and_the_limit_read(
    hub: RunningHub, app_key_pem: Path
) -> None:
    """Reads, a 404, a write and a 502 retried: the counts are what localhub answered, and
    the rate limit is the installation token's, falling by one per request."""
    gc.collect()  # clients of earlier tests: only this one's limit should be reported
    auth = Auth.AppAuth(APP_ID, app_key_pem.read_text()).get_installation_auth(INSTALLATION_ID)
    client = make_client(hub.api_url, auth, pace_writes=False)
    gh = PyGithubRepo(client, auth, REPO, bot_login="specbot[bot]")
    since, before = len(hub.requests()), _calls()
    try:
        assert gh.permission("alice") == "write"
        assert gh.permission("nobody-at-all") == "none"
        issue = hub.open_issue(REPO, "Export CSV", None, as_user="alice")
        fault = {"pattern": f"GET /api/v3/repos/{REPO}/issues/*", "error_rate": 1, "status": 502}
        hub.add_fault({**fault, "times": 1})
        assert gh.issue(issue["number"]).title == "Export CSV"
        gh.create_comment(issue["number"], "hello")
        counted = _calls() - before
        answered = _logged(hub, since)
        assert counted == answered
        assert counted[("GET", "5xx")] == 1 and counted[("GET", "4xx")] == 1
        assert counted[("POST", "2xx")] >= 2  # the token, the comment
        samples = scrape(METRICS.registry)
        remaining = value(samples, "specbot_github_rate_limit_remaining")
        assert (remaining, value(samples, "specbot_github_rate_limit_limit")) == (
            client.requester.rate_limiting
        )
        assert value(samples, "specbot_github_rate_limit_limit") == 5000
        gh.permission("alice")
        after = value(scrape(METRICS.registry), "specbot_github_rate_limit_remaining")
        assert after == remaining - 1
    finally:
        client.close()


def test_requests_that_get_no_answer_are_counted_as_errors() -> None:
    """Nothing listens: each attempt (the first and its one retry) counts as ``error``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(
        f"http://127.0.0.1:{port}/api/v3", Auth.Token("t"), pace_writes=False, retry=make_retry(1)
    )
    gh = PyGithubRepo(client, Auth.Token("t"), REPO, bot_login="specbot[bot]")
    before = _calls()
    with pytest.raises(requests.ConnectionError):
        gh.issue(1)
    assert _calls() - before == Counter({("GET", "error"): 2})
