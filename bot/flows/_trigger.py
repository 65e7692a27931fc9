"""Who may start work, read from the delivery: write access, no bots unless allowed, never self.

Checks run in the ingest step, before any run starts, so a user without write access never
costs a model call. A refused user gets one polite reply per issue (found again by a hidden
marker, so a redelivery or a second attempt does not repeat it), or silence if configured.
"""

from __future__ import annotations

import structlog

from bot.config import RepoConfig
from bot.ports import RepoGitHub
from bot.webhooks import Event

WRITE_PERMISSIONS = ("admin", "maintain", "write")
_DENIED_MARKER = "<!-- specbot:denied:{login} -->"

log = structlog.get_logger("specbot.flows")


def sender_type(event: Event) -> str:
    """``User``, ``Bot`` or ``Organization``; ``User`` when GitHub sent none."""
    sender = event.payload.get("sender")
    kind = sender.get("type") if isinstance(sender, dict) else None
    return kind if isinstance(kind, str) else "User"


def is_self(event: Event, github: RepoGitHub) -> bool:
    """True when specbot itself caused the delivery (its comment, label, push or check)."""
    return (event.sender_login or "").lower() == github.bot_login.lower()


def refusal(event: Event, github: RepoGitHub, config: RepoConfig, issue: int) -> str | None:
    """Why the delivery's sender may not start work here, None when they may; a refused
    person is replied to once on ``issue``."""
    login = event.sender_login
    if not login:
        return "the delivery names no sender"
    if is_self(event, github):
        return "specbot's own action"
    if sender_type(event) == "Bot" or login.endswith("[bot]"):
        if login in config.triggers.allow_bots:
            return None
        log.info("ignored: a bot", sender=login)
        return f"{login} is a bot that triggers.allow_bots does not list"
    permission = github.permission(login)
    if permission in WRITE_PERMISSIONS:
        return None
    log.info("refused: no write access", sender=login, permission=permission)
    if config.triggers.reply_to_unauthorised:
        _reply_once(github, issue, login)
    return f"{login} has {permission} access to the repository, not write"


def may_trigger(event: Event, github: RepoGitHub, config: RepoConfig, issue: int) -> bool:
    """Whether the delivery's sender may start work; replies once to a refused human."""
    return refusal(event, github, config, issue) is None


def _reply_once(github: RepoGitHub, issue: int, login: str) -> None:
    marker = _DENIED_MARKER.format(login=login)
    if github.find_own_comment(issue, marker) is not None:
        return
    github.create_comment(
        issue,
        f"{marker}\nThanks, @{login}! Only people with write access to this repository can "
        "start specbot. A maintainer can start it by adding the label or commenting "
        "`/specbot run`.",
    )
