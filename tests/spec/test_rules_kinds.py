"""RUBRIC v0.2 section 0, one rule class at a time: each case and its near miss.

Each class once blocked a spec an engineer could build from; the near misses show that the
same rule still blocks what is really missing.
"""

from __future__ import annotations

from bot.spec import lint

PARSER_SPEC = """## Context
`parse_quantity` in `units/parse.py` turns user text such as "1.5 kg" into grams.

## Requirement
Add `parse_quantity(text: str) -> int` returning the quantity in grams.

## Acceptance criteria
- [ ] `parse_quantity("1.5 kg")` returns 1500.
- [ ] `parse_quantity("250 g")` returns 250.

## Error handling
WHEN the text is empty, negative or has an unknown unit THE SYSTEM SHALL raise ValueError with \
the message 'invalid quantity: <text>'.
"""


def _ids(body: str, severity: str = "error") -> set[str]:
    return {f.id for f in lint(body).findings if f.severity == severity}


def test_library_function_with_an_ears_error_clause_is_ready() -> None:
    """Raising a named exception on bad input is failure handling; parsing changes no data."""
    verdict = lint(PARSER_SPEC)
    assert verdict.ready and verdict.kind == "feature"
    assert not {"ERR-001", "ERR-004"} & {f.id for f in verdict.findings}
    # Near miss: naming the bad input without what the system does still blocks.
    clause = PARSER_SPEC[PARSER_SPEC.index("WHEN the text") :]
    body = PARSER_SPEC.replace(clause, "WHEN the text is empty THE SYSTEM SHALL cope with it.\n")
    assert "ERR-001" in _ids(body)


def test_guarded_effect_is_failure_handling() -> None:
    """'Only overwrite the file if no errors occur' pairs the failure with the response."""
    body = PARSER_SPEC.replace(
        PARSER_SPEC[PARSER_SPEC.index("## Error handling") :],
        "## Behaviour\n`units export --output units.csv` only overwrites the file if no errors "
        "occur.\n",
    )
    assert "ERR-001" not in {f.id for f in lint(body).findings}
    vague = body.replace("only overwrites the file if no errors occur", "handles errors well")
    assert "ERR-001" in _ids(vague)


def test_cli_command_and_file_line_are_where_the_change_lives() -> None:
    """A named CLI command or a path:line anchors the spec; a bare 'the flag' does not."""
    criteria = '\n## Acceptance criteria\n- [ ] It exits with status 2 and prints "bad".\n'
    for where in ("Running tool show --output json", "The check in src/app/cli.py:212"):
        assert "CTX-001" not in _ids(f"## Context\n{where} ignores bad input.\n{criteria}")
    assert "CTX-001" in _ids(f"## Context\nThe flag ignores bad input.\n{criteria}")


def test_bug_report_without_headings_has_its_criteria() -> None:
    """file:line, today's behaviour, a reproduction and the wanted behaviour are criteria."""
    body = (
        "`loader.read()` in `app/loader.py:88` crashes with IndexError on an empty file.\n\n"
        "```console\n$ app load empty.txt\nIndexError: list index out of range\n```\n\n"
        "It should print 'empty.txt is empty' and exit with status 1.\n"
    )
    verdict = lint(body)
    assert verdict.kind == "bug" and verdict.ready
    no_expected = body.replace("It should print 'empty.txt is empty' and exit with status 1.\n", "")
    no_expected = no_expected.replace("crashes with", "gives")
    assert "ACC-001" in _ids(no_expected)


def test_exit_status_http_status_and_exact_text_are_measurable() -> None:
    """Each is a figure to check; 'exits with an error' is not."""
    head = "## Context\n`tool sync` in `cli/sync.py`.\n\n## Acceptance criteria\n- [ ] "
    for criterion in (
        "It exits with exit code 3.",
        'It answers a 422 response with {"error": "bad input"}.',
        "It prints `sync failed: timeout`.",
        "It raises ConfigError.",
    ):
        assert "ACC-004" not in _ids(head + criterion + "\n")
    assert "ACC-004" in _ids(head + "It exits with an error.\n")


def test_vague_word_blocks_only_when_nothing_makes_it_measurable() -> None:
    """'appropriate' beside criteria with figures warns; alone it blocks."""
    body = PARSER_SPEC.replace(
        '- [ ] `parse_quantity("250 g")` returns 250.',
        '- [ ] `parse_quantity("250 g")` returns 250.\n- [ ] Units are rounded appropriately.',
    )
    assert "ACC-002" in _ids(body, "warn") and lint(body).ready
    alone = "## Context\n`tool sync`.\n\n## Acceptance criteria\n- [ ] Sync is appropriate.\n"
    assert "ACC-002" in _ids(alone)


def test_performance_report_needs_no_error_handling() -> None:
    """Numbers before and after make a performance report; ERR-001 only warns there."""
    body = (
        "`pytest bench/targets.py -k fwd` has a median of 4.3 ms before commit abc123 and "
        "6.2 ms after it.\nReverting abc123 restores the performance.\n"
    )
    verdict = lint(body)
    assert verdict.kind == "performance" and verdict.ready
    assert "ERR-001" in _ids(body, "warn")


def test_kind_from_the_issue_form_field() -> None:
    """A `### Kind` field decides the kind."""
    body = "### Kind\n\nbug\n\n" + PARSER_SPEC
    assert lint(body).kind == "bug"


def test_declared_chore_needs_a_chore_in_the_body() -> None:
    """Attacker: declaring 'chore' on a vague feature does not lower the bar."""
    vague = (
        "### Kind\n\nchore\n\n## Requirement\nThe Reports page must be better and faster "
        "for users, with nicer charts on every screen and a modern look.\n"
    )
    verdict = lint(vague)
    assert verdict.kind == "feature" and not verdict.ready
    chore = vague.replace(
        "The Reports page must be better and faster for users, with nicer charts on every "
        "screen and a modern look.",
        "Rename `report_total` to `reports_total` in `reports/totals.py`; no behaviour change. "
        "The Reports page must keep every figure it shows today.",
    )
    verdict = lint(chore)
    assert verdict.kind == "chore" and verdict.ready


def test_quoted_marker_is_a_mention_not_a_placeholder() -> None:
    """'TODO' in quotes is text the report quotes; a bare TODO still blocks."""
    assert "STR-003" not in _ids(PARSER_SPEC + "\nThe 'TODO' comment in the file stays.\n")
    assert "STR-003" in _ids(PARSER_SPEC + "\nTODO: pick the units.\n")


def test_one_line_triple_backtick_is_inline_code() -> None:
    """```x``` on one line is a code span, not a fence that hides the rest of the body."""
    body = "works:\n```$ tool --config a.js```\n\n" + PARSER_SPEC
    assert lint(body).ready


def test_short_exact_bug_report_is_not_a_title() -> None:
    """Ten words with a request, today's status and the wanted one are enough; a wish is not."""
    body = "GET /api/v1/nope currently returns 500; it should return 404.\n"
    assert lint(body).ready
    assert "STR-002" in _ids("A flag to enable JSON output would be neat.\n")


def test_pasted_traceback_does_not_make_a_vague_wish_buildable() -> None:
    """Attacker: a traceback and 'a bug' lower what a bug report needs, never what it says."""
    body = (
        "This is a bug, please make the importer better and faster.\n\n"
        "```\nTraceback (most recent call last):\n"
        '  File "app/importer.py", line 12, in load\nValueError: bad row\n```\n'
    )
    verdict = lint(body)
    assert verdict.kind == "bug" and not verdict.ready
    wish = body.replace("please make", "it should make")
    verdict = lint(wish)
    assert not verdict.ready and "ACC-001" in _ids(wish)
