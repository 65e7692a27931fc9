"""Answers read from comments, written into the spec, shown as a diff (and what must not pass)."""

from __future__ import annotations

import pytest

from bot.clarify import (
    ISSUE_BODY_LIMIT,
    AmendError,
    Answers,
    Question,
    amend_spec,
    amended_body,
    applied_answers,
    questions_for,
    quotes_questions,
    read_answers,
    render_diff,
    split_original,
)
from bot.spec import GateConfig, lint

SPEC = """## Context
The `widgets/sizes.py` module converts sizes. Today it only has `to_mm(value)`, which turns
centimetres into millimetres; nothing converts inches.

## Scope
Add `inches_to_mm(value)` to `widgets/sizes.py`. Out of scope: other units, the CLI.

## Acceptance criteria
- [ ] one inch converts fast and nicely
- [ ] `inches_to_mm(0)` returns `0.0`

## Performance
One call takes under 1 ms.
"""
# A team that blocks on vague words and on missing failure handling (the gate itself only
# warns here: a criterion with a figure and nothing that can fail make the spec buildable).
STRICT = GateConfig.model_validate({"promote": ["ACC-002", "ERR-001"]})
ERRORS = (
    "A negative value returns an error to the caller: `ValueError` with the message "
    '"size must be >= 0"; nothing is kept.'
)


def _questions() -> list[Question]:
    return questions_for(lint(SPEC, STRICT))


def test_the_spec_asks_two_questions() -> None:
    """The fixture's findings: a vague criterion (line 9) and no failure handling."""
    assert [(q.number, q.finding_id, q.line) for q in _questions()] == [
        (1, "ACC-002", 9),
        (2, "ERR-001", 0),
    ]


def test_numbered_answers_after_the_command() -> None:
    """``1.``, ``2:`` and ``3)`` start answers; other lines continue them; quotes are skipped."""
    text = (
        "Hello\n\n/specbot answer\n1. `inches_to_mm(1)` returns `25.4`\n"
        "> 2. a quoted line is never an answer\n2: first\n   second\n3) no such question\n"
    )
    answers = read_answers(text, _questions())
    assert answers.by_number == {1: ("`inches_to_mm(1)` returns `25.4`",), 2: ("first", "second")}
    assert answers.unknown == (3,)


def test_answers_under_quoted_questions() -> None:
    """A reply quoting the questions: each answer goes to the question quoted above it."""
    text = (
        "> 2. **ERR-001**: What can fail\n> and more of the question\n\nit never fails\n\n"
        "> 1. **ACC-002**: The criterion\n\n`inches_to_mm(1)` returns `25.4`\n"
        "> 9. **CMP-004**: a question specbot did not ask\n\ndropped\n"
    )
    assert quotes_questions(text)
    answers = read_answers(text, _questions())
    assert answers.by_number == {1: ("`inches_to_mm(1)` returns `25.4`",), 2: ("it never fails",)}
    assert answers.unknown == ()


def test_an_ordinary_comment_holds_no_answer() -> None:
    """Numbered prose without the command or a quoted question answers nothing."""
    text = "1. I like it\n2. ship it\n> someone said something"
    assert not quotes_questions(text)
    assert not read_answers(text, _questions())
    assert not read_answers("/specbot apply\n1. not an answer", _questions())


def test_answers_land_where_their_findings_point() -> None:
    """The vague line is rewritten with its checkbox; failure handling becomes a new section."""
    answers = Answers(by_number={1: ("- `inches_to_mm(1)` returns `25.4`",), 2: (ERRORS,)})
    amended = amend_spec(SPEC.rstrip("\n"), _questions(), answers)
    assert "- [ ] `inches_to_mm(1)` returns `25.4`\n- [ ] `inches_to_mm(0)`" in amended
    assert "fast and nicely" not in amended
    assert amended.endswith(f"## Error handling\n- {ERRORS}")
    verdict = lint(amended, STRICT)
    assert verdict.ready and not verdict.findings


def test_answers_extend_an_existing_section_at_its_end() -> None:
    """A criterion added as an answer goes at the end of the criteria, before the next heading."""
    spec = "## Acceptance criteria\n- [ ] one\n\n## Error handling\n- two\n"
    [question] = [q for q in _questions() if q.finding_id == "ACC-002"]
    moved = question.model_copy(update={"place": "section"})
    amended = amend_spec(spec, [moved], Answers(by_number={1: ("three",)}))
    assert amended == "## Acceptance criteria\n- [ ] one\n- [ ] three\n\n## Error handling\n- two\n"


def test_the_original_is_kept_once_fenced_and_the_apply_is_recorded() -> None:
    """The body keeps the first original, fenced so the gate never reads it as a spec."""
    questions = _questions()
    first = amended_body(SPEC, questions, Answers(by_number={2: (ERRORS,)}), 41)
    spec, kept = split_original(first)
    assert "<details>" in kept and "one inch converts fast and nicely" in kept
    assert applied_answers(first) == {41}
    # the original's vague criterion is in a fence: only the live one is flagged
    assert [f.line for f in lint(first, STRICT).findings if f.id == "ACC-002"] == [9]
    second = amended_body(first, questions_for(lint(first, STRICT)), _one(), 42)
    assert second.count("<details>") == 1 and applied_answers(second) == {41, 42}
    assert "fast and nicely" not in split_original(second)[0]


def _one() -> Answers:
    return Answers(by_number={1: ("`inches_to_mm(1)` returns `25.4`",)})


def test_an_answer_cannot_break_out_of_the_fences() -> None:
    """Backticks in an answer or the spec make the fences longer, never end them early."""
    answers = Answers(by_number={2: ("```\n</details>\n@everyone ````",)})
    body = amended_body(SPEC + "\n````\nx\n````\n", _questions(), answers, 1)
    assert "`````markdown" in body
    diff = render_diff(SPEC, amend_spec(SPEC, _questions(), answers))
    assert diff.startswith("`````diff\n") and diff.endswith("\n`````")


def test_a_body_over_githubs_limit_is_refused() -> None:
    """Answers that would push the issue over 65,536 characters: a one-line error."""
    answers = Answers(by_number={2: ("x" * ISSUE_BODY_LIMIT,)})
    with pytest.raises(AmendError, match="over GitHub's 65,536 characters"):
        amended_body(SPEC, _questions(), answers, 1)
