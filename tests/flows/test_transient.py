"""``retry_transient``: GitHub's 5xx are tried again a bounded number of times, nothing else is."""

from __future__ import annotations

import pytest
from github import GithubException

from bot.flows._transient import retry_transient


class Flaky:
    """A call that fails with ``error`` the first ``failures`` times, then returns 7."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return 7


def test_server_errors_are_tried_again_until_the_call_succeeds() -> None:
    """Two 502s, then success: three calls and the call's value."""
    call = Flaky(2, GithubException(502, {"message": "Bad Gateway"}, {}))
    assert retry_transient(call, "a test", delays=(0.0, 0.0, 0.0)) == 7
    assert call.calls == 3


def test_the_last_server_error_is_raised_after_every_delay() -> None:
    """Failing every time: one call per delay plus the last, whose error is raised."""
    call = Flaky(10, GithubException(503, {"message": "Service Unavailable"}, {}))
    with pytest.raises(GithubException) as raised:
        retry_transient(call, "a test", delays=(0.0, 0.0))
    assert raised.value.status == 503
    assert call.calls == 3


def test_client_errors_are_raised_at_once() -> None:
    """A 422 (GitHub refused the request) is never tried again."""
    call = Flaky(1, GithubException(422, {"message": "Validation Failed"}, {}))
    with pytest.raises(GithubException):
        retry_transient(call, "a test", delays=(0.0, 0.0))
    assert call.calls == 1
