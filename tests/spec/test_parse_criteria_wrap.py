"""Acceptance criteria that wrap onto an indented line stay one criterion."""

from __future__ import annotations

from bot.spec import parse_spec

WRAPPED = """## Acceptance criteria
- [ ] a file of 10,000 lines is imported in under 2 s and every row
  keeps its line number
- [ ] an empty file returns an empty list

- [ ] a third item
"""


def test_a_wrapped_checklist_item_is_one_criterion() -> None:
    """The indented continuation joins its item; the numbering of later items is unchanged."""
    texts = [criterion.text for criterion in parse_spec(WRAPPED).criteria]
    assert texts == [
        "a file of 10,000 lines is imported in under 2 s and every row keeps its line number",
        "an empty file returns an empty list",
        "a third item",
    ]


def test_an_unindented_line_after_an_item_stays_its_own_criterion() -> None:
    """Only an indented line continues an item."""
    body = "## Acceptance criteria\n- [ ] first item\nThe export returns 200.\n"
    assert len(parse_spec(body).criteria) == 2
