"""The review domain: findings, their synthesis across reviewers, and GitHub's shapes (pure)."""

from bot.review.findings import Finding, ReviewerReport, ReviewSubmission, Severity
from bot.review.render import (
    ANNOTATIONS_PER_REQUEST,
    Annotation,
    InlineComment,
    ReviewDraft,
    build_annotations,
    check_conclusion,
    defuse_mentions,
    draft_review,
)
from bot.review.synthesis import (
    MergedFinding,
    ReviewEvent,
    ReviewPolicy,
    decide,
    fingerprint,
    is_same_problem,
    merge_findings,
)

__all__ = [
    "ANNOTATIONS_PER_REQUEST",
    "Annotation",
    "Finding",
    "InlineComment",
    "MergedFinding",
    "ReviewDraft",
    "ReviewEvent",
    "ReviewPolicy",
    "ReviewSubmission",
    "ReviewerReport",
    "Severity",
    "build_annotations",
    "check_conclusion",
    "decide",
    "defuse_mentions",
    "draft_review",
    "fingerprint",
    "is_same_problem",
    "merge_findings",
]
