"""The one tracking comment of an issue's runs: created once, then edited in place.

The comment carries a hidden marker for its key, so a stage that crashed after creating it
finds it again instead of posting a second one. Its id is kept in the run's state to save the
search on later updates.
"""

from __future__ import annotations

from bot.ports import RepoGitHub
from bot.tracking import RunReport, marker, render_tracking_comment


def tracking_key(repo: str, issue: int) -> str:
    """The tracking comment's key for one issue (one comment across that issue's runs)."""
    return f"spec:{repo}#{issue}"


def upsert_tracking(
    github: RepoGitHub, issue: int, report: RunReport, comment_id: int | None
) -> int:
    """Write ``report`` into the issue's tracking comment (create it once); returns its id."""
    body = render_tracking_comment(report)
    if comment_id is None:
        found = github.find_own_comment(issue, marker(report.key))
        comment_id = found.id if found is not None else None
    if comment_id is None:
        return github.create_comment(issue, body).id
    github.edit_comment(comment_id, body)
    return comment_id


def note_cancelled(github: RepoGitHub, issue: int, key: str, login: str) -> bool:
    """Say in the tracking comment that ``login`` cancelled the run; False if there is none."""
    found = github.find_own_comment(issue, marker(key))
    if found is None:
        return False
    note = f"**Cancelled by @{login}.** Comment `/specbot retry` to run it again."
    blocks = found.body.split("\n\n")
    # The comment is: marker, heading, then the outcome in bold when there is one.
    if len(blocks) > 2 and blocks[2].startswith("**"):
        blocks[2] = note
    else:
        blocks.insert(min(2, len(blocks)), note)
    github.edit_comment(found.id, "\n\n".join(blocks))
    return True
