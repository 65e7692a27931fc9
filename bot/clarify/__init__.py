"""Questions that fix a weak spec: asked from the gate's findings, answered, applied (pure).

``questions_for`` picks at most five questions from a verdict by a data file
(``questions.yaml``); ``read_answers`` reads a comment's answers; ``amended_body`` writes them
into the issue body with the original kept; ``render_diff`` shows the change.
"""

from bot.clarify._amend import (
    ISSUE_BODY_LIMIT,
    AmendError,
    amend_spec,
    amended_body,
    applied_answers,
    render_diff,
    split_original,
)
from bot.clarify._answers import (
    Answers,
    command_answers,
    quoted_answers,
    quotes_questions,
    read_answers,
)
from bot.clarify._questions import (
    MAX_QUESTIONS,
    Catalog,
    Question,
    Template,
    catalog,
    parse_catalog,
    questions_for,
    render_questions,
)

__all__ = [
    "ISSUE_BODY_LIMIT",
    "MAX_QUESTIONS",
    "AmendError",
    "Answers",
    "Catalog",
    "Question",
    "Template",
    "amend_spec",
    "amended_body",
    "applied_answers",
    "catalog",
    "command_answers",
    "parse_catalog",
    "questions_for",
    "quoted_answers",
    "quotes_questions",
    "read_answers",
    "render_diff",
    "render_questions",
    "split_original",
]
