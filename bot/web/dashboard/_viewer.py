"""Who is looking at the dashboard, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter, Request


@dataclass(frozen=True)
class Viewer:
    """A person allowed in: every repository (the shared secret) or the ones their account reads.

    ``run_id`` is set for the holder of one run's signed link: that run and nothing else.
    """

    login: str
    repositories: frozenset[str] | None = None  # None: every repository
    show_content: bool = False  # prompts, model text and tool output
    run_id: str | None = None

    def can_read(self, repository: str | None) -> bool:
        """Whether runs of ``repository`` are visible (a run without one: shared-secret only)."""
        if self.run_id is not None:
            return False
        if self.repositories is None:
            return True
        return repository is not None and repository.lower() in self.repositories

    def can_see_run(self, run_id: str, repository: str | None) -> bool:
        """Whether the run ``run_id`` (of ``repository``) is visible."""
        if self.run_id is not None:
            return run_id == self.run_id
        return self.can_read(repository)


class Access(Protocol):
    """How the dashboard knows who is looking (configured by ``SPECBOT_DASHBOARD_ACCESS``)."""

    enabled: bool

    async def viewer(self, request: Request) -> Viewer | None:
        """The signed-in person of ``request``, or None."""
        ...

    def login_url(self, request: Request) -> str:
        """Where a person who is not signed in goes to sign in (back to this page after)."""
        ...

    def router(self) -> APIRouter:
        """The sign-in routes (``/login``, ``/logout``, the OAuth callback)."""
        ...
