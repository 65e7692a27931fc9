"""Which events the Action takes, before any flow runs: the step's own checks.

The flows still check the sender's access as the App does; these come first because only a
workflow has them to decide: its mode, its repository, ``pull_request_target`` and forks (a
fork's code must not run where the token can write), and the token's own login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.action._runner import ActionInputs
from bot.webhooks import Event

_ISSUE_EVENTS = frozenset({"issues"})
_PULL_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)
HANDLED = _ISSUE_EVENTS | _PULL_EVENTS | {"issue_comment"}


@dataclass(frozen=True)
class Admission:
    """Why the step does nothing with the event: ``ignored`` (not its business) or
    ``refused`` (not allowed), and the reason, said in the log and the summary."""

    verdict: Literal["ignored", "refused"]
    reason: str


def admit(event: Event, repository: str, inputs: ActionInputs) -> Admission | None:
    """None when the event goes to the flows; else why not."""
    if event.name not in HANDLED:
        return Admission("ignored", f"specbot does not act on {event.name!r} events")
    named = event.repo_full_name
    if named is None or named.lower() != repository.lower():
        return Admission(
            "refused", f"the event is about {named!r}, and the workflow runs in {repository!r}"
        )
    sender = (event.sender_login or "").lower()
    if sender == inputs.bot_login.lower():
        return Admission("ignored", f"the event was caused by specbot itself ({sender})")
    if _is_bot(event) and event.sender_login not in inputs.allowed_bots:
        # (a bot's pull request runs without the repository's secrets: decline it before
        # the missing model key would fail the step)
        return Admission(
            "ignored", f"{event.sender_login} is a bot that allowed_bots does not list"
        )
    if not _mode_takes(inputs.mode, event):
        return Admission("ignored", f"mode {inputs.mode!r} does not act on {_kind(event)}")
    if event.name == "pull_request_target" and not inputs.allow_forks:
        return Admission(
            "refused",
            "pull_request_target runs with a token that can write on a fork's pull request: "
            "set allow_forks: 'true' to let specbot act on it",
        )
    fork = _fork_of(event.payload, repository)
    if fork is not None and not inputs.allow_forks:
        return Admission(
            "refused",
            f"the pull request comes from the fork {fork}: set allow_forks: 'true' to review "
            "pull requests from forks",
        )
    return None


def _is_bot(event: Event) -> bool:
    sender = event.payload.get("sender")
    kind = sender.get("type") if isinstance(sender, dict) else None
    return kind == "Bot" or (event.sender_login or "").endswith("[bot]")


def _kind(event: Event) -> str:
    if event.name == "issue_comment":
        on = "pull requests" if _comment_on_pull(event.payload) else "issues"
        return f"comments on {on}"
    return f"{event.name!r} events"


def _comment_on_pull(payload: Any) -> bool:
    issue = payload.get("issue") if isinstance(payload, dict) else None
    return isinstance(issue, dict) and issue.get("pull_request") is not None


def _mode_takes(mode: str, event: Event) -> bool:
    if mode == "auto":
        return True
    if event.name == "issue_comment":
        on_pull = _comment_on_pull(event.payload)
        return (mode == "review") == on_pull and mode != "gate"
    if mode == "review":
        return event.name in _PULL_EVENTS
    return event.name in _ISSUE_EVENTS  # gate and implement


def _fork_of(payload: Any, repository: str) -> str | None:
    """The fork a pull request event's head comes from, if it is not ``repository``."""
    pull = payload.get("pull_request") if isinstance(payload, dict) else None
    if not isinstance(pull, dict):
        return None
    head = pull.get("head")
    repo = head.get("repo") if isinstance(head, dict) else None
    if not isinstance(repo, dict):
        return "a deleted repository"  # GitHub sends null when the fork is gone
    name = repo.get("full_name")
    if not isinstance(name, str):
        return "an unnamed repository"
    return None if name.lower() == repository.lower() else name
