"""Which pull requests the review flow takes, and on whose word.

A push reviews automatically only specbot's own work: a head branch in the repository itself
whose head commit carries specbot's ``Specbot-Run`` trailer (a branch name proves nothing:
anyone can name a fork's branch ``specbot/issue-1-x``). Any other pull request is reviewed
when a person with write access asks (``/specbot review``, "Re-run" on the check). A pull
request from a fork brings code and text from outside the repository into a run that holds
the App's credentials and the model's key, so it is reviewed only where the default branch's
``.github/specbot.yml`` says ``review: {forks: true}``; otherwise specbot says so on it.
"""

from __future__ import annotations

import structlog

from bot.branches import has_run_trailer
from bot.config import RepoConfig
from bot.ports import PullInfo, RepoGitHub

log = structlog.get_logger("specbot.flows")

FORK_MARKER = "<!-- specbot:fork-not-reviewed -->"
FORK_REFUSAL = (
    "specbot does not review this pull request: it comes from a fork, and this repository "
    "does not allow reviews of pull requests from forks (their code and text would be "
    "handled by a run that holds the repository's credentials). A maintainer can allow them "
    "with\n\n```yaml\nreview:\n  forks: true\n```\n\nin `.github/specbot.yml` on the default "
    "branch, then ask for a review with `/specbot review`."
)


def is_own_commit(github: RepoGitHub, sha: str) -> bool:
    """True when the commit carries specbot's run trailer (one GET of the commit)."""
    own = has_run_trailer(github.commit_message(sha))
    if not own:
        log.info("not reviewed automatically: the head commit is not specbot's", head_sha=sha)
    return own


def refuse_fork(github: RepoGitHub, number: int) -> None:
    """Say once on the pull request why it is not reviewed (found again by a hidden marker)."""
    log.info("not reviewed: a pull request from a fork", pull=number)
    if github.find_own_comment(number, FORK_MARKER) is None:
        github.create_comment(number, f"{FORK_MARKER}\n{FORK_REFUSAL}")


def may_review(config: RepoConfig, github: RepoGitHub, pull: PullInfo) -> bool:
    """Whether a review asked for by a person may run; a refused fork's pull request is told.

    ``config`` is the default branch's: a pull request cannot allow itself.
    """
    if not pull.from_fork or config.review.forks:
        return True
    refuse_fork(github, pull.number)
    return False
