"""The hierarchy: authority, delegation, escalation and its depth limit."""

from __future__ import annotations

import pytest

from bot.orchestra import AuthorityError, EscalationLimitError, Hierarchy, Role


def _team(max_depth: int = 3) -> Hierarchy:
    return Hierarchy(
        [
            Role(name="executive", authority=["*"], delegates_to=["manager"]),
            Role(
                name="manager",
                authority=["plan", "review.*"],
                delegates_to=["worker"],
                escalates_to="executive",
            ),
            Role(name="worker", authority=["code", "test"], escalates_to="manager"),
        ],
        max_depth=max_depth,
    )


def test_actions_within_authority_stay_with_the_role() -> None:
    """A worker decides what its authority lists, with no escalation."""
    assignment = _team().assign("worker", "code")
    assert (assignment.role, assignment.escalations) == ("worker", 0)


def test_actions_outside_authority_escalate_step_by_step() -> None:
    """Review goes to the manager; release goes all the way to the executive."""
    assert _team().assign("worker", "review.security").path == ["worker", "manager"]
    assert _team().assign("worker", "release").path == ["worker", "manager", "executive"]


def test_depth_limit_stops_escalation() -> None:
    """With a depth limit of 1 an action needing two levels is refused."""
    with pytest.raises(EscalationLimitError, match="depth limit 1"):
        _team(max_depth=1).assign("worker", "release")


def test_delegation_goes_only_to_named_roles() -> None:
    """A manager delegates to its workers, never sideways or up."""
    assert _team().delegate("manager", "worker", "test").role == "worker"
    with pytest.raises(AuthorityError, match="does not delegate"):
        _team().delegate("worker", "manager", "plan")


def test_top_role_without_authority_refuses() -> None:
    """An action nobody above may take raises AuthorityError."""
    team = Hierarchy([Role(name="solo", authority=["code"])])
    with pytest.raises(AuthorityError, match="nobody is above"):
        team.assign("solo", "merge")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([Role(name="a", escalates_to="ghost")], "unknown role 'ghost'"),
        ([Role(name="a", escalates_to="b"), Role(name="b", escalates_to="a")], "escalation loop"),
        ([Role(name="a"), Role(name="a")], "defined twice"),
    ],
)
def test_bad_hierarchies_are_refused(roles: list[Role], message: str) -> None:
    """Unknown references, loops and duplicate names are configuration errors."""
    with pytest.raises(ValueError, match=message):
        Hierarchy(roles)
