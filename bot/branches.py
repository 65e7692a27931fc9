"""Names of the branches specbot pushes, and the trailer of its commits (pure).

One branch per issue across rounds and retries: ``specbot/issue-<n>-<slug>``. The slug comes
from the issue title at the first run; later runs find the branch by its ``specbot/issue-<n>-``
prefix, so renaming the issue does not fork a second branch.
"""

from __future__ import annotations

import re
import unicodedata

BRANCH_PREFIX = "specbot/"
RUN_TRAILER = "Specbot-Run"
_TRAILER_LINE = re.compile(rf"{RUN_TRAILER}:[ \t]*\S.*")
_MAX_SLUG = 40


def slugify(title: str | None, limit: int = _MAX_SLUG) -> str:
    """A lower-case ASCII slug of ``title``: words joined by ``-``, cut at a word boundary."""
    folded = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:limit]
    return slug


def issue_branch_prefix(issue_number: int) -> str:
    """The prefix every branch of issue ``issue_number`` starts with."""
    return f"{BRANCH_PREFIX}issue-{issue_number}-"


def issue_branch(issue_number: int, title: str | None) -> str:
    """The branch for a new run on issue ``issue_number`` titled ``title``."""
    slug = slugify(title) or "spec"
    return f"{issue_branch_prefix(issue_number)}{slug}"


def is_specbot_branch(ref: str) -> bool:
    """True for a branch specbot created (with or without ``refs/heads/``)."""
    return ref.removeprefix("refs/heads/").startswith(BRANCH_PREFIX)


def issue_of_branch(ref: str) -> int | None:
    """The issue number a specbot branch belongs to, or None for any other branch."""
    match = re.fullmatch(r"specbot/issue-(\d+)-.*", ref.removeprefix("refs/heads/"))
    return int(match.group(1)) if match else None


def has_run_trailer(message: str) -> bool:
    """True when a commit message ends with specbot's ``Specbot-Run: <run id>`` trailer.

    Trailers are lines of the message's last paragraph; the same words anywhere else (quoted
    in the body, say) do not count.
    """
    paragraphs = [part for part in re.split(r"\n[ \t]*\n", message.strip()) if part.strip()]
    if not paragraphs:
        return False
    lines = paragraphs[-1].splitlines()
    return any(_TRAILER_LINE.fullmatch(line.strip()) for line in lines)
