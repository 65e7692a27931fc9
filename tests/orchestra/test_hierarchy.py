"""The hierarchy: written authority, escalation and its depth limit."""

from __future__ import annotations

import pytest

from bot.orchestra import AuthorityError, EscalationLimitError, Hierarchy, Role


def _team(max_depth: int = 3) -> Hierarchy:
    return Hierarchy(
        [
            Role(name="maintainer", authority=["*"]),
            Role(name="lead", authority=["accept.minor", "accept.nit"], escalates_to="maintainer"),
            Role(name="implementer", authority=["fix"], escalates_to="lead"),
        ],
        max_depth=max_depth,
    )


def test_actions_within_authority_stay_with_the_role() -> None:
    """An implementer decides what its authority lists, with no escalation."""
    assignment = _team().assign("implementer", "fix")
    assert (assignment.role, assignment.escalations) == ("implementer", 0)


def test_actions_outside_authority_escalate_step_by_step() -> None:
    """Accepting a nit goes to the lead; accepting a major finding to the maintainer."""
    assert _team().assign("implementer", "accept.nit").path == ["implementer", "lead"]
    assert _team().assign("implementer", "accept.major").path == [
        "implementer",
        "lead",
        "maintainer",
    ]
    assert _team().above("implementer") == ["lead", "maintainer"]


def test_depth_limit_stops_escalation() -> None:
    """With a depth limit of 1 a decision needing two levels is refused, and the chain above
    a role stops at the limit."""
    with pytest.raises(EscalationLimitError, match="depth limit 1"):
        _team(max_depth=1).assign("implementer", "accept.major")
    assert _team(max_depth=1).above("implementer") == ["lead"]


def test_top_role_without_authority_leaves_it_to_a_person() -> None:
    """A decision nobody above may take raises AuthorityError."""
    team = Hierarchy([Role(name="solo", authority=["fix"])])
    with pytest.raises(AuthorityError, match="a person decides"):
        team.assign("solo", "accept.major")


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
