"""A workflow's ``permissions:`` becomes the ``GITHUB_TOKEN``'s permissions as GitHub documents."""

from __future__ import annotations

from typing import Any

import pytest

from bot.localhub._workflow_permissions import (
    PERMISSIVE,
    WorkflowPermissionsError,
    token_permissions,
)

EVERY_SCOPE = [
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "issues",
    "packages",
    "pages",
    "pull_requests",
    "repository_projects",
    "security_events",
    "statuses",
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {**PERMISSIVE, "metadata": "read"}),
        ({}, {"metadata": "read"}),
        ({"issues": "write"}, {"issues": "write", "metadata": "read"}),
        (
            {
                "pull-requests": "write",
                "repository-projects": "read",
                "security-events": "write",
                "id-token": "write",
                "contents": "none",
            },
            {
                "pull_requests": "write",
                "repository_projects": "read",
                "security_events": "write",
                "id_token": "write",
                "metadata": "read",
            },
        ),
        ({"models": "read", "checks": "none"}, {"models": "read", "metadata": "read"}),
        (
            "read-all",
            {**{s: "read" for s in EVERY_SCOPE}, "models": "read", "metadata": "read"},
        ),
        (
            "write-all",
            {
                **{s: "write" for s in EVERY_SCOPE},
                "id_token": "write",
                "models": "read",
                "metadata": "read",
            },
        ),
    ],
    ids=["no-block", "empty", "issues", "hyphenated", "read-only-scope", "read-all", "write-all"],
)
def test_workflow_permissions_become_the_tokens(value: Any, expected: dict[str, str]) -> None:
    """Named scopes get their level, the rest none; metadata read is always there."""
    assert token_permissions(value) == expected


def test_no_block_is_githubs_permissive_default() -> None:
    """Without ``permissions:`` the token writes every repository scope but id-token."""
    granted = token_permissions(None)
    assert {s for s, level in granted.items() if level == "write"} == set(EVERY_SCOPE)
    assert "id_token" not in granted
    assert (granted["metadata"], granted["models"]) == ("read", "read")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("read-some", "'read-some'"),
        ("", "''"),
        ({"pull_requests": "write"}, "'pull_requests'"),
        ({"metadata": "read"}, "'metadata'"),
        ({"issues": "admin"}, "permissions.issues"),
        ({"issues": True}, "permissions.issues"),
        ({"contents": None}, "permissions.contents"),
        ({"id-token": "read"}, "permissions.id-token"),
        ({"models": "write"}, "permissions.models"),
        (["issues"], "['issues']"),
        (42, "42"),
    ],
    ids=[
        "unknown-shorthand",
        "empty-string",
        "token-name-not-workflow-name",
        "metadata",
        "admin",
        "boolean",
        "null",
        "id-token-read",
        "models-write",
        "list",
        "number",
    ],
)
def test_what_github_refuses_is_refused_naming_the_key(value: Any, named: str) -> None:
    """A scope or level GitHub would reject the workflow for is a ValueError that names it."""
    with pytest.raises(WorkflowPermissionsError, match="permissions") as raised:
        token_permissions(value)
    assert named in str(raised.value)
    assert isinstance(raised.value, ValueError)
