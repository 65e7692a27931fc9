"""Hierarchical pattern: roles with written authority and an escalation chain (pure).

Authority entries are action names or shell-style globs (``accept.*``). A decision outside a
role's authority goes up its ``escalates_to`` chain, at most ``max_depth`` levels; above the
top role is a person (``assign`` says so with ``AuthorityError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field


class AuthorityError(PermissionError):
    """No role in reach may take this decision: it is a person's."""


class EscalationLimitError(AuthorityError):
    """The decision would go up more levels than the configured depth limit allows."""


class Role(BaseModel):
    """A role in the team: what it may decide and whom it escalates to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    authority: list[str] = Field(default_factory=list)
    escalates_to: str | None = None

    def may(self, action: str) -> bool:
        """Whether ``action`` is within this role's authority."""
        return any(fnmatchcase(action, pattern) for pattern in self.authority)


class Assignment(BaseModel):
    """Who decides, and the roles the decision passed through to get there."""

    role: str
    path: list[str]

    @property
    def escalations(self) -> int:
        """How many times the decision went up a level."""
        return len(self.path) - 1


class Hierarchy:
    """A validated set of roles (names unique, references resolvable, no escalation loop)."""

    def __init__(self, roles: Iterable[Role], *, max_depth: int = 3) -> None:
        self.roles: dict[str, Role] = {}
        for role in roles:
            if role.name in self.roles:
                raise ValueError(f"role {role.name!r} is defined twice")
            self.roles[role.name] = role
        if max_depth < 0:
            raise ValueError("max_depth must be >= 0")
        self.max_depth = max_depth
        self._check_references()

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        try:
            return self.roles[name]
        except KeyError:
            raise KeyError(f"unknown role {name!r}") from None

    def above(self, name: str) -> list[str]:
        """The roles ``name`` escalates to, nearest first, within the depth limit."""
        chain: list[str] = []
        role = self.role(name)
        while role.escalates_to is not None and len(chain) < self.max_depth:
            role = self.role(role.escalates_to)
            chain.append(role.name)
        return chain

    def assign(self, role_name: str, action: str) -> Assignment:
        """The first role from ``role_name`` upwards whose authority covers ``action``."""
        path = [role_name]
        role = self.role(role_name)
        while not role.may(action):
            if role.escalates_to is None:
                raise AuthorityError(
                    f"{action!r} is outside the authority of {' -> '.join(path)} "
                    "and nobody is above: a person decides"
                )
            if len(path) > self.max_depth:
                raise EscalationLimitError(
                    f"{action!r} escalated past the depth limit {self.max_depth}: "
                    f"{' -> '.join(path)}"
                )
            role = self.role(role.escalates_to)
            path.append(role.name)
        return Assignment(role=role.name, path=path)

    def _check_references(self) -> None:
        for role in self.roles.values():
            if role.escalates_to is not None and role.escalates_to not in self.roles:
                raise ValueError(f"role {role.name!r} refers to unknown role {role.escalates_to!r}")
        for role in self.roles.values():
            seen = {role.name}
            above = role.escalates_to
            while above is not None:
                if above in seen:
                    raise ValueError(f"escalation loop through {role.name!r}")
                seen.add(above)
                above = self.roles[above].escalates_to
