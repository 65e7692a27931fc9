"""The flows' job models: what one run of each flow carries from stage to stage.

A leaf module: every flow module imports from here, none of it imports a flow, so one flow
starts another by name through the engine (``bot.flows._runs``) without importing it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.config import RepoConfig
from bot.evidence import CriterionEvidence
from bot.ports import PullInfo, ReviewCommentInfo
from bot.pull_request import TestReport
from bot.review import MergedFinding


class RepoJob(BaseModel):
    """What every flow's job names: its repository and the installation that reaches it."""

    model_config = ConfigDict(extra="forbid")

    repo: str
    installation_id: int


class OpenFinding(BaseModel):
    """A finding the last review left open, as the review produced it (not read back)."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    severity: str
    kind: str
    message: str


def open_finding(item: MergedFinding) -> OpenFinding:
    """A merged finding as a job carries it."""
    finding = item.finding
    return OpenFinding(
        path=finding.path,
        line=finding.line,
        severity=finding.severity.value,
        kind=finding.kind,
        message=finding.message,
    )


class ReviewJob(RepoJob):
    """One review run: the pull request and the head commit it reviews."""

    model_config = ConfigDict(extra="forbid")

    pull: int
    head_sha: str
    check_run_id: int | None = None
    review_id: int | None = None
    findings: int = 0
    event: str = ""
    conclusion: str = ""
    criteria_findings: dict[int, list[str]] = Field(default_factory=dict)
    config: RepoConfig | None = None  # .github/specbot.yml at the base, as the review read it
    # The pull request as its trigger saw it (a payload, a GET already made): not read again.
    pull_info: PullInfo | None = None
    no_review_comments: bool = False  # the trigger saw none: no earlier findings to read
    reported: list[OpenFinding] = Field(default_factory=list)  # what the review posted


class CriteriaResult(RepoJob):
    """The review run's last output: the criteria at one head commit, kept for waivers."""

    model_config = ConfigDict(extra="forbid")

    pull: int
    head_sha: str
    checked: bool = False  # False: not specbot's pull request, or superseded
    check_run_id: int | None = None
    evidence: list[CriterionEvidence] = Field(default_factory=list)
    tests: TestReport | None = None
    findings: dict[int, list[str]] = Field(default_factory=dict)
    conclusion: str = ""


class Thread(BaseModel):
    """One review thread as it was at the trigger: the comment to reply to and its text."""

    model_config = ConfigDict(frozen=True)

    reply_to: int
    path: str
    line: int | None
    text: str


class FollowUpJob(RepoJob):
    """One follow-up round on a pull request, an answer to a question, or (``settle_by``) an
    escalation: the agent that settles the findings the rounds left open."""

    model_config = ConfigDict(extra="forbid")

    pull: int
    round: int
    threads: list[Thread] = Field(default_factory=list)
    question_from: str | None = None  # set when the trigger is a question to answer
    outcome: str = ""
    commit: str | None = None
    config: RepoConfig | None = None  # .github/specbot.yml at the base, as the trigger read it
    settle_by: str | None = None
    above: list[str] = Field(default_factory=list)  # where what it may not accept goes next
    open_findings: list[OpenFinding] = Field(default_factory=list)


def thread_text(comments: list[ReviewCommentInfo], root: int) -> str:
    """A thread's comments (its root and the replies to it), one paragraph each."""
    chain = [c for c in comments if c.id == root or c.in_reply_to_id == root]
    return "\n\n".join(f"{c.author} on {c.path}:{c.line}: {c.body}" for c in chain)


def review_threads(comments: list[ReviewCommentInfo], review_id: int | None) -> list[Thread]:
    """The threads a review started, each with its whole text (replies included)."""
    return [
        Thread(reply_to=c.id, path=c.path, line=c.line, text=thread_text(comments, c.id))
        for c in comments
        if c.review_id == review_id and c.in_reply_to_id is None
    ]
