"""Questions from the gate's findings: chosen by data, deterministic, at most five."""

from __future__ import annotations

import textwrap

from bot.clarify import MAX_QUESTIONS, catalog, parse_catalog, questions_for, render_questions
from bot.spec import Finding, GateConfig, Verdict, lint

WEAK = "Make the sizes better and faster.\n"
SCORES = {"P1": 0, "P2": 0, "P3": 0, "P4": 0}


def _verdict(*findings: Finding) -> Verdict:
    return Verdict(ready=False, score=10, scores=SCORES, findings=findings)


def _finding(
    fid: str, severity: str = "error", line: int = 0, principle: str | None = "P3"
) -> Finding:
    return Finding(
        id=fid,
        severity=severity,
        principle=principle,
        line=line,
        excerpt="fast" if line else "",
        message="The gate's message.",
        fix="The gate's fix.",
    )


def test_at_most_five_numbered_questions_each_naming_its_finding() -> None:
    """A very weak spec has many findings: five questions, errors first, numbered from 1."""
    verdict = lint(WEAK, GateConfig())
    questions = questions_for(verdict)
    assert len(questions) == MAX_QUESTIONS
    assert [q.number for q in questions] == [1, 2, 3, 4, 5]
    assert [q.finding_id for q in questions] == [
        "ACC-001",
        "CMP-001",
        "CTX-001",
        "STR-002",
        "ACC-003",  # a warning: the four errors come first
    ]
    text = render_questions(questions)
    assert "1. **ACC-001**: What must be true when this is done?" in text
    assert "`/specbot answer`" in text and "`/specbot apply`" in text
    assert questions_for(verdict) == questions  # the same verdict, the same questions


def test_a_ready_spec_and_skipped_ids_get_no_question() -> None:
    """No question for a ready spec, nor for findings the author must fix in the text itself."""
    ready = Verdict(ready=True, score=100, scores=SCORES, findings=())
    assert questions_for(ready) == []
    assert render_questions([]) == ""
    hidden = _verdict(_finding("SEC-001", principle=None), _finding("STR-005", "info"))
    assert questions_for(hidden) == []


def test_one_question_per_id_and_line_findings_rewrite_their_line() -> None:
    """Two vague criteria make one question, about the first; it rewrites that line."""
    questions = questions_for(_verdict(_finding("ACC-002", line=9), _finding("ACC-002", line=4)))
    assert len(questions) == 1
    assert questions[0].line == 4 and questions[0].place == "line"
    assert "line 4" in questions[0].text and "` fast `" in questions[0].text


def test_an_id_the_data_does_not_know_falls_back_on_its_principle() -> None:
    """A new gate rule without a template still gets a question, built from its fix hint."""
    data = textwrap.dedent(
        """\
        heading: Q
        instructions: answer with /{bot} answer
        skip: []
        fallback:
          question: "Gate: {message} {fix}"
          by_principle:
            P4: {section: ERROR_HANDLING, heading: Error handling, form: bullets}
            none: {section: OTHER, heading: Details, form: text}
        questions: {}
        """
    )
    import yaml

    book = parse_catalog(yaml.safe_load(data))
    [question] = questions_for(_verdict(_finding("ERR-003", "warn", principle="P4")), book)
    assert question.text == "Gate: The gate's message. The gate's fix."
    assert question.heading == "Error handling" and question.form == "bullets"


def test_every_shipped_template_formats_without_error() -> None:
    """Each phrasing in questions.yaml fills in with a finding's fields."""
    book = catalog()
    for fid in book.templates:
        questions_for(_verdict(_finding(fid, line=3)), book)
