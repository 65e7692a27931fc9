"""A workflow's ``permissions:`` turned into the permissions of the ``GITHUB_TOKEN`` it gets.

As GitHub documents it: ``read-all`` and ``write-all``, a mapping of scopes to ``read``,
``write`` or ``none`` (scopes left out are ``none``; ``{}`` grants nothing), and no block at
all for the repository's default. ``metadata: read`` is always granted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WorkflowPermissions = str | Mapping[str, Any] | None

_ANY = ("read", "write", "none")
_ORDER = ("none", "read", "write")

# every scope a workflow may name, with the levels GitHub accepts for it
SCOPES: dict[str, tuple[str, ...]] = {
    "actions": _ANY,
    "attestations": _ANY,
    "checks": _ANY,
    "contents": _ANY,
    "deployments": _ANY,
    "discussions": _ANY,
    "id-token": ("write", "none"),
    "issues": _ANY,
    "models": ("read", "none"),
    "packages": _ANY,
    "pages": _ANY,
    "pull-requests": _ANY,
    "repository-projects": _ANY,
    "security-events": _ANY,
    "statuses": _ANY,
}

# GitHub's "permissive" default, for a workflow without a ``permissions:`` block
PERMISSIVE: dict[str, str] = {
    "actions": "write",
    "attestations": "write",
    "checks": "write",
    "contents": "write",
    "deployments": "write",
    "discussions": "write",
    "issues": "write",
    "models": "read",
    "packages": "write",
    "pages": "write",
    "pull_requests": "write",
    "repository_projects": "write",
    "security_events": "write",
    "statuses": "write",
}


class WorkflowPermissionsError(ValueError):
    """A ``permissions:`` value GitHub refuses the workflow for."""


def token_scope(scope: str) -> str:
    """The token's name of a workflow scope (``pull-requests`` -> ``pull_requests``)."""
    return scope.replace("-", "_")


def token_permissions(value: WorkflowPermissions) -> dict[str, str]:
    """The ``GITHUB_TOKEN``'s permissions for a ``permissions:`` value (None: no block)."""
    if value is None:
        granted = dict(PERMISSIVE)
    elif isinstance(value, str):
        granted = _shorthand(value)
    elif isinstance(value, Mapping):
        granted = _mapping(value)
    else:
        raise WorkflowPermissionsError(
            f"permissions: expected read-all, write-all or a mapping, not {value!r}"
        )
    return {**granted, "metadata": "read"}


def _shorthand(value: str) -> dict[str, str]:
    """``read-all`` or ``write-all``: every scope at that level, or below where it has none."""
    wanted = {"read-all": "read", "write-all": "write"}.get(value)
    if wanted is None:
        raise WorkflowPermissionsError(
            f"permissions: unexpected value {value!r} (expected read-all, write-all or a mapping)"
        )
    granted: dict[str, str] = {}
    for scope, levels in SCOPES.items():
        level = max(
            (lv for lv in levels if _ORDER.index(lv) <= _ORDER.index(wanted)), key=_ORDER.index
        )
        if level != "none":
            granted[token_scope(scope)] = level
    return granted


def _mapping(value: Mapping[str, Any]) -> dict[str, str]:
    """Each named scope at its level; a scope left out is ``none``."""
    granted: dict[str, str] = {}
    for scope, level in value.items():
        if scope not in SCOPES:
            raise WorkflowPermissionsError(
                f"permissions: unexpected scope {scope!r} (expected one of {', '.join(SCOPES)})"
            )
        allowed = SCOPES[scope]
        if not isinstance(level, str) or level not in allowed:
            raise WorkflowPermissionsError(
                f"permissions.{scope}: unexpected value {level!r} (expected {_one_of(allowed)})"
            )
        if level != "none":
            granted[token_scope(scope)] = level
    return granted


def _one_of(words: tuple[str, ...]) -> str:
    """``read, write or none``."""
    return ", ".join(words[:-1]) + " or " + words[-1]
