"""Arbitrary JSON bodies get GitHub's 4xx answers, never a server error, and change nothing."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.localhub import RunningHub

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
fields = st.dictionaries(
    st.sampled_from(
        [
            "title",
            "body",
            "labels",
            "state",
            "head",
            "base",
            "name",
            "head_sha",
            "event",
            "comments",
            "path",
            "line",
            "conclusion",
            "status",
            "output",
            "content",
            "sha",
            "ref",
        ]
    ),
    json_values,
    max_size=5,
)
ENDPOINTS = [
    ("POST", "/repos/acme/widgets/issues"),
    ("PATCH", "/repos/acme/widgets/issues/1"),
    ("POST", "/repos/acme/widgets/issues/1/labels"),
    ("POST", "/repos/acme/widgets/issues/1/comments"),
    ("POST", "/repos/acme/widgets/issues/1/reactions"),
    ("POST", "/repos/acme/widgets/pulls"),
    ("POST", "/repos/acme/widgets/git/refs"),
    ("POST", "/repos/acme/widgets/statuses/main"),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(index=st.integers(0, len(ENDPOINTS) - 1), body=fields | json_values)
def test_no_body_makes_a_server_error(hub: RunningHub, index: int, body: Any) -> None:
    """Whatever JSON arrives, the answer is a success or a GitHub 4xx with a message."""
    if "acme/widgets#1" not in hub.hub.state.issues:
        hub.open_issue("acme/widgets", "Target", as_user="alice")
    method, path = ENDPOINTS[index]
    response = httpx.request(
        method, hub.api_url + path, headers={"Authorization": "token ghp_alice"}, json=body
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert isinstance(response.json()["message"], str)
