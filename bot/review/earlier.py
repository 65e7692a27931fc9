"""Findings of earlier rounds, as the next round's reviewers are shown them (pure).

A reviewer that does not know what was already said repeats it in other words. Each earlier
finding is read back from specbot's own signed comments (a comment anyone else wrote, or a
forged marker, counts for nothing), with what people answered in its thread: a reply is how a
finding gets dismissed. All of it is data for the reviewer, never instructions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.review.render import posted_fingerprints

if TYPE_CHECKING:  # bot.ports imports the review's shapes: a runtime import would be a loop
    from bot.ports import ReviewCommentInfo

_HEADLINE_LIMIT = 200
_REPLY_LIMIT = 200


@dataclass(frozen=True)
class EarlierFinding:
    """One finding specbot posted before, and the people's replies in its thread."""

    path: str
    line: int | None
    headline: str
    replies: tuple[str, ...]


def _headline(body: str) -> str:
    """The finding's message, first line: after the marker and the severity line."""
    lines = [line.strip() for line in body.splitlines()]
    text = [line for line in lines if line and not line.startswith("<!--") and "**" not in line]
    return " ".join(text[0].split())[:_HEADLINE_LIMIT] if text else ""


def earlier_findings(
    comments: Sequence[ReviewCommentInfo], bot_login: str, key: bytes
) -> list[EarlierFinding]:
    """specbot's signed findings on this pull request, with the replies people wrote to each."""
    own = [
        c
        for c in comments
        if c.author == bot_login and c.in_reply_to_id is None and posted_fingerprints([c.body], key)
    ]
    found: list[EarlierFinding] = []
    for comment in own:
        replies = tuple(
            " ".join(r.body.split())[:_REPLY_LIMIT]
            for r in comments
            if r.in_reply_to_id == comment.id and r.author != bot_login
        )
        found.append(EarlierFinding(comment.path, comment.line, _headline(comment.body), replies))
    return found


def render_earlier(findings: Sequence[EarlierFinding]) -> str:
    """The list reviewers read: one line per finding, its replies under it."""
    lines: list[str] = []
    for item in findings:
        where = f"{item.path} line {item.line}" if item.line is not None else item.path
        state = "answered" if item.replies else "open"
        lines.append(f"- [{state}] {where}: {item.headline}")
        lines += [f"  - reply: {reply}" for reply in item.replies]
    return "\n".join(lines)
