"""What the demo watches for, in order: each step is a probe of GitHub's state as a user sees it.

Probes read through the REST API with the demo user's token (PyGithub), the way a person
looking at the repository would; each returns the line to print when its step has happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from github.Repository import Repository

from bot.tracking import find_marker

Probe = Callable[["Watch"], str | None]


@dataclass
class Watch:
    """The demo's view: the repository, the issue, and what earlier probes found."""

    repo: Repository
    issue: int
    found: dict[str, Any] = field(default_factory=dict)

    def pull(self) -> Any:
        """The pull request specbot opened for the issue, once there is one."""
        if "pull" not in self.found:
            pulls = list(self.repo.get_pulls(state="all"))
            if not pulls:
                return None
            self.found["pull"] = pulls[0]
        return self.repo.get_pull(self.found["pull"].number)


def _tracking(watch: Watch) -> Any:
    for comment in watch.repo.get_issue(watch.issue).get_comments():
        if find_marker(comment.body) is not None:
            return comment
    return None


def eyes(watch: Watch) -> str | None:
    """The eyes reaction on the issue."""
    rollup = watch.repo.get_issue(watch.issue).raw_data.get("reactions") or {}
    return "specbot reacted 👀 to the issue" if rollup.get("eyes") else None


def tracking_comment(watch: Watch) -> str | None:
    """The tracking comment exists."""
    comment = _tracking(watch)
    return f"tracking comment posted: {comment.html_url}" if comment is not None else None


def _gate(watch: Watch) -> Any:
    """The ``specbot/spec`` status on the default branch, when it is about this issue."""
    sha = watch.repo.get_branch(watch.repo.default_branch).commit.sha
    for status in watch.repo.get_commit(sha).get_combined_status().statuses:
        # Every spec issue's gate sets this one status: its description names the issue.
        if status.context == "specbot/spec" and (status.description or "").startswith(
            f"Spec #{watch.issue} "
        ):
            return status
    return None


def gate_status(watch: Watch) -> str | None:
    """The ``specbot/spec`` status on the default branch."""
    status = _gate(watch)
    return None if status is None else f"spec gate: {status.state} ({status.description})"


def gate_refusal(watch: Watch) -> str | None:
    """The gate's refusal of a spec that is not ready, with its verdict in the comment."""
    status, comment = _gate(watch), _tracking(watch)
    if status is None or comment is None or status.state != "failure":
        return None
    return (
        f"spec gate: {status.state} ({status.description}): no model call, no pull request;"
        f" what to add: {comment.html_url}"
    )


def pull_opened(watch: Watch) -> str | None:
    """specbot's pull request."""
    pull = watch.pull()
    if pull is None:
        return None
    files = [f.filename for f in pull.get_files()]
    return (
        f"pull request #{pull.number} opened from {pull.head.ref}: {pull.html_url}\n"
        f"      files: {', '.join(files)}"
    )


def _reviews(watch: Watch) -> list[Any]:
    pull = watch.pull()
    return [] if pull is None else list(pull.get_reviews())


def _check_line(watch: Watch, head_key: str, name: str = "specbot/review") -> str | None:
    """The completed check run ``name`` on the head a review probe noted, as a line."""
    sha = watch.found.get(head_key, "")
    runs = watch.repo.get_commit(sha).get_check_runs(check_name=name)
    checks = [c for c in runs if c.status == "completed"]
    if not checks:
        return None
    title = f", {checks[0].output.title}" if name != "specbot/review" else ""
    return f"check run {checks[0].name}: {checks[0].conclusion}{title} ({checks[0].html_url})"


def first_review(watch: Watch) -> str | None:
    """The swarm's first review, with its inline comments."""
    reviews = _reviews(watch)
    if not reviews:
        return None
    pull = watch.pull()
    inline = [c for c in pull.get_review_comments() if c.raw_data.get("in_reply_to_id") is None]
    watch.found["first_head"] = reviews[0].commit_id
    places = ", ".join(f"{c.path}:{c.line}" for c in inline) or "none"
    return f"review 1 posted with {len(inline)} inline comment(s) ({places}): {reviews[0].html_url}"


def first_check(watch: Watch) -> str | None:
    """The check run of the first review."""
    return _check_line(watch, "first_head")


def follow_up_commit(watch: Watch) -> str | None:
    """A follow-up commit on the pull request."""
    pull = watch.pull()
    commits = list(pull.get_commits())
    if len(commits) < 2:
        return None
    last = commits[-1]
    subject = last.commit.message.splitlines()[0]
    return f"follow-up commit {last.sha[:12]}: {subject} ({last.html_url})"


def thread_reply(watch: Watch) -> str | None:
    """specbot's reply in the review thread it addressed."""
    pull = watch.pull()
    for comment in pull.get_review_comments():
        if comment.raw_data.get("in_reply_to_id") is not None:
            return f"reply in the review thread: {comment.html_url}"
    return None


def second_review(watch: Watch) -> str | None:
    """The review of the follow-up commit."""
    reviews = _reviews(watch)
    if len(reviews) < 2:
        return None
    watch.found["second_head"] = reviews[1].commit_id
    return f"review 2 posted: {reviews[1].html_url}"


def second_check(watch: Watch) -> str | None:
    """The check run of the second review."""
    return _check_line(watch, "second_head")


def criteria_check(watch: Watch) -> str | None:
    """The acceptance criteria check of the second head commit."""
    return _check_line(watch, "second_head", "specbot/criteria")


STEPS: tuple[tuple[str, Probe], ...] = (
    ("eyes", eyes),
    ("tracking comment", tracking_comment),
    ("spec gate", gate_status),
    ("pull request", pull_opened),
    ("review 1", first_review),
    ("check run 1", first_check),
    ("follow-up commit", follow_up_commit),
    ("thread reply", thread_reply),
    ("review 2", second_review),
    ("check run 2", second_check),
    ("criteria check", criteria_check),
)

# The demo's first issue: a plausible spec the gate refuses before any token is spent.
REFUSAL_STEPS: tuple[tuple[str, Probe], ...] = (("spec refused", gate_refusal),)
