"""Hierarchical pattern: roles with written authority, delegation and escalation.

Authority entries are action names or shell-style globs (``review.*``). A task whose action is
outside its target role's authority goes up the ``escalates_to`` chain, at most ``max_depth``
levels; delegation goes down only to roles named in ``delegates_to``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field


class AuthorityError(PermissionError):
    """No role in reach may take this decision."""


class EscalationLimitError(AuthorityError):
    """The escalation chain is longer than the configured depth limit."""


class Role(BaseModel):
    """A role in the team: what it may decide, whom it may delegate to, where it escalates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    authority: list[str] = Field(default_factory=list)
    delegates_to: list[str] = Field(default_factory=list)
    escalates_to: str | None = None

    def may(self, action: str) -> bool:
        """Whether ``action`` is within this role's authority."""
        return any(fnmatchcase(action, pattern) for pattern in self.authority)


class Assignment(BaseModel):
    """Who decides a task, and the roles it passed through to get there."""

    role: str
    path: list[str]

    @property
    def escalations(self) -> int:
        """How many times the task went up a level."""
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

    def assign(self, role_name: str, action: str) -> Assignment:
        """The first role from ``role_name`` upwards whose authority covers ``action``."""
        path = [role_name]
        role = self.role(role_name)
        while not role.may(action):
            if role.escalates_to is None:
                raise AuthorityError(
                    f"{action!r} is outside the authority of {' -> '.join(path)} "
                    "and nobody is above"
                )
            if len(path) > self.max_depth:
                raise EscalationLimitError(
                    f"{action!r} escalated past the depth limit {self.max_depth}: "
                    f"{' -> '.join(path)}"
                )
            role = self.role(role.escalates_to)
            path.append(role.name)
        return Assignment(role=role.name, path=path)

    def delegate(self, manager: str, worker: str, action: str) -> Assignment:
        """Hand ``action`` from ``manager`` to ``worker``; escalate if the worker may not."""
        if worker not in self.role(manager).delegates_to:
            raise AuthorityError(f"{manager!r} does not delegate to {worker!r}")
        return self.assign(worker, action)

    def _check_references(self) -> None:
        for role in self.roles.values():
            for target in [*role.delegates_to, *([role.escalates_to] if role.escalates_to else [])]:
                if target not in self.roles:
                    raise ValueError(f"role {role.name!r} refers to unknown role {target!r}")
            seen = {role.name}
            above = role.escalates_to
            while above is not None:
                if above in seen:
                    raise ValueError(f"escalation loop through {role.name!r}")
                seen.add(above)
                above = self.roles[above].escalates_to
