"""``parse_spec`` understands every form users write."""

from __future__ import annotations

import pytest

from bot.spec import SectionKind, parse_spec
from tests.spec.conftest import CORPUS

K = SectionKind


def kinds(body: str | bytes | None) -> list[SectionKind]:
    """The section kinds of a body, in order."""
    return [section.kind for section in parse_spec(body).sections]


@pytest.mark.parametrize("body", [None, "", b"", "   \n\n", "\ufeff"])
def test_nothing_parses_to_an_empty_spec(body: str | bytes | None) -> None:
    """None, empty and blank bodies give a spec without sections or criteria."""
    spec = parse_spec(body)
    assert spec.sections == ()
    assert spec.criteria == ()
    assert spec.word_count == 0


@pytest.mark.parametrize("level", range(1, 7))
def test_headings_of_any_level_open_sections(level: int) -> None:
    """`#` to `######` headings all open canonical sections."""
    marks = "#" * level
    assert kinds(f"{marks} Context\nx\n{marks} Acceptance criteria\n- [ ] y\n") == [
        K.CONTEXT,
        K.ACCEPTANCE,
    ]


def test_key_lines_open_sections_and_keep_their_text() -> None:
    """`KEY: text` lines open a section whose text starts with the rest of the line."""
    spec = parse_spec("CONTEXT: the /signup route\nCURRENT STATE: no validation\nNote: plain")
    assert [s.kind for s in spec.sections] == [K.CONTEXT, K.CURRENT_STATE]
    assert spec.sections[0].text == "the /signup route"
    assert "Note: plain" in spec.sections[1].text


def test_key_line_in_a_list_item_is_not_a_header() -> None:
    """`- Context: ...` is content of the current section."""
    assert kinds("## Requirement\n- Context: nested\n") == [K.REQUIREMENT]


def test_bold_labels_open_sections_with_either_colon() -> None:
    """`**Label**: text` and `**Label:** text` are both headers."""
    spec = parse_spec("**Context**: the app\n**Scope:** only admins\n**Given** a user\n")
    assert [s.kind for s in spec.sections] == [K.CONTEXT, K.SCOPE]
    assert spec.sections[1].text.startswith("only admins")


def test_spanish_aliases_and_accents() -> None:
    """Spanish labels map to the same sections, with or without accents."""
    body = "## Criterios de aceptación\n- [ ] a\n## Estado vacio\nx\n## Manejo de errores\ny\n"
    assert kinds(body) == [K.ACCEPTANCE, K.EMPTY_STATE, K.ERROR_HANDLING]


def test_issue_form_questions_map_by_contained_alias() -> None:
    """A question such as 'How does it work today?' maps to CURRENT_STATE."""
    assert kinds("### How does it work today?\n\nslowly\n") == [K.CURRENT_STATE]


def test_issue_form_no_response_marks_an_empty_field() -> None:
    """`_No response_` makes a section empty and flagged as unanswered."""
    spec = parse_spec("### Scope\n\n_No response_\n\n### Context\n\nThe /x page\n")
    scope = spec.section(K.SCOPE)
    assert scope is not None and scope.empty and scope.no_response
    context = spec.section(K.CONTEXT)
    assert context is not None and not context.empty


def test_unknown_heading_opens_other_but_a_deeper_one_stays_inside() -> None:
    """An unmapped `##` opens OTHER; an unmapped `###` under a section belongs to it."""
    body = "## Acceptance criteria\n### Search\n- [ ] a\n## Notes\n- [ ] b\n"
    spec = parse_spec(body)
    assert [s.kind for s in spec.sections] == [K.ACCEPTANCE, K.OTHER]
    assert [c.section for c in spec.criteria] == [K.ACCEPTANCE, K.OTHER]


def test_html_comments_are_ignored_even_across_lines() -> None:
    """Comments never create sections or criteria."""
    body = "<!--\n## Acceptance criteria\n- [ ] hidden\n-->\n## Context\nx <!-- y --> z\n"
    spec = parse_spec(body)
    assert [s.kind for s in spec.sections] == [K.CONTEXT]
    assert spec.sections[0].text == "x  z"
    assert spec.criteria == ()


def test_code_fences_never_create_structure() -> None:
    """Headings and checkboxes in a fence are code; the fence stays in the section text."""
    body = "## Context\n```md\n## Acceptance criteria\n- [ ] not a criterion\n```\n"
    spec = parse_spec(body)
    assert [s.kind for s in spec.sections] == [K.CONTEXT]
    assert "## Acceptance criteria" in spec.sections[0].text
    assert spec.criteria == ()


def test_comment_inside_fence_is_code_and_fence_inside_comment_is_comment() -> None:
    """Comments and fences are found in document order, as GitHub renders them."""
    body = "## Context\n```html\n<!-- not a comment\n```\n## Scope\nonly admins\n"
    assert kinds(body) == [K.CONTEXT, K.SCOPE]
    body = "<!--\n```\n-->\n## Scope\nonly admins\n"
    assert kinds(body) == [K.SCOPE]


def test_criteria_are_found_with_their_kind_and_line() -> None:
    """Checklist items, EARS lines and Gherkin scenarios become criteria with line numbers."""
    body = (
        "## Requirements\n"
        "- [x] Shows 10 results\n"
        "WHEN a user types THE SYSTEM SHALL search.\n"
        "Given a user\nWhen they search\nThen they see 10 results\n"
        "- [ ] I have read the code of conduct\n"
    )
    spec = parse_spec(body)
    found = [(c.kind, c.line, c.checked) for c in spec.criteria]
    assert found == [("checklist", 2, True), ("ears", 3, None), ("gherkin", 4, None)]
    assert spec.criteria[0].text == "Shows 10 results"
    assert spec.criteria[2].text == "Given a user\nWhen they search\nThen they see 10 results"


def test_fallback_statement_criteria_only_without_others() -> None:
    """A modal sentence with a figure is a criterion only when nothing else is."""
    spec = parse_spec("## Notes\nThe page must load in 2 s.\n")
    assert [c.kind for c in spec.criteria] == ["statement"]
    spec = parse_spec("## Notes\nThe page must load in 2 s.\n- [ ] Shows 10 rows\n")
    assert [c.kind for c in spec.criteria] == ["checklist"]


def test_crlf_lone_cr_and_unicode_keep_line_numbers() -> None:
    """CRLF and CR count as one line break; line numbers match the body."""
    body = "## Context\r\nCafé 📄 日本\r## Acceptance criteria\r\n- [ ] ok\r\n"
    spec = parse_spec(body)
    assert [s.line for s in spec.sections] == [1, 3]
    assert spec.criteria[0].line == 4
    assert spec.sections[0].text == "Café 📄 日本"


def test_invalid_utf8_bytes_are_replaced_not_fatal() -> None:
    """Bytes that are not UTF-8 still parse (the CLI refuses them earlier)."""
    spec = parse_spec(b"## Context\n\xff\xfe broken\n")
    assert spec.sections[0].kind is K.CONTEXT


def test_reference_article_style_parses_into_canonical_sections() -> None:
    """The KEY: style of the reference article gives the canonical sections."""
    spec = parse_spec((CORPUS / "en-key-lines-ready.md").read_bytes())
    assert K.SCORING_LOGIC in {s.kind for s in spec.sections}
    assert spec.section(K.ACCEPTANCE) is not None
