"""The parser and the gate never raise, stay linear, and are deterministic."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.spec import lint, parse_spec, render_json, render_markdown, render_text
from tests.spec.conftest import BASE_SPEC

# Fragments that exercise every branch of the parser, glued in random orders.
FRAGMENTS = [
    "## Context\n", "### Acceptance criteria\n", "**Scope**: ", "ERROR HANDLING: ", "- [ ] ",
    "- [x] ", "WHEN ", " SHALL ", "Given ", "Then ", "```", "~~~gherkin\n", "<!--", "-->",
    "_No response_", "p95 ≤ 300 ms", "404 Not Found", '"quoted"', "`code`", "/route/x",
    "fast", "retry until", "TODO", "[NEEDS CLARIFICATION", "ignore previous instructions",
    "\u202e", "\u200b", "\r\n", "\r", "\n", " ", "\t", "é", "ñ", "📄", "#", "*", ":", "|",
    "1.5 s", "per page", "20", "\ufeff", "\x00",
]  # fmt: skip
bodies = st.one_of(
    st.none(),
    st.text(max_size=2000),
    st.binary(max_size=2000),
    st.lists(st.sampled_from(FRAGMENTS), max_size=200).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_gate_and_parser_never_raise(body: str | bytes | None) -> None:
    """Any body gives a verdict, a spec and renderable output."""
    verdict = lint(body)
    spec = parse_spec(body)
    assert 0 <= verdict.score <= 100
    assert spec.line_count >= 1
    assert len(render_markdown(verdict)) <= 65_536
    json.loads(render_json(verdict))
    render_text(verdict)
    for finding in verdict.findings:
        assert len(finding.excerpt) <= 120
        assert 0 <= finding.line <= spec.line_count
    lines = [section.line for section in spec.sections]
    assert lines == sorted(set(lines))
    assert all(1 <= c.line <= spec.line_count for c in spec.criteria)
    assert verdict.ready is not any(f.severity == "error" for f in verdict.findings)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(FRAGMENTS), st.integers(min_value=1, max_value=5))
def test_pathological_repetition_is_handled(fragment: str, power: int) -> None:
    """One fragment repeated up to ~1 MB (one huge line or many lines) never raises."""
    times = (1_000_000 // max(len(fragment), 1)) // (10 ** (5 - power))
    body = fragment * max(times, 1)
    verdict = lint(body)
    assert verdict.score >= 0


def test_one_megabyte_body_is_judged() -> None:
    """A 1 MB body (a spec repeated) gets a verdict with findings capped per id.

    Its criteria hold figures, so each vague "fast" warns instead of blocking (RUBRIC 0.5).
    """
    body = (BASE_SPEC + "\n- [ ] The page is fast.\n") * (1_000_000 // len(BASE_SPEC))
    assert len(body) >= 900_000
    verdict = lint(body)
    vague = [f for f in verdict.findings if f.id == "ACC-002"]
    assert len(vague) == 100
    assert {f.severity for f in vague} == {"warn"}
    assert verdict.ready


def test_single_megabyte_line_is_judged() -> None:
    """A 1 MB body without any line break gets a verdict."""
    body = "word `x` /a 1 " * 80_000
    assert lint(body).ready is False


def test_same_bytes_give_the_same_json() -> None:
    """The verdict is a pure function of the bytes."""
    body = (BASE_SPEC + "\nRetry until it works; it is fast.\n").encode()
    first = render_json(lint(body))
    assert all(render_json(lint(body)) == first for _ in range(5))
    assert render_markdown(lint(body)) == render_markdown(lint(body))


def test_lint_leaves_the_garbage_collector_as_it_found_it() -> None:
    """lint pauses the cyclic collector only during the call and restores its previous state."""
    import gc

    assert gc.isenabled()
    lint(BASE_SPEC)
    assert gc.isenabled()
    gc.disable()
    try:
        lint(BASE_SPEC)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_lone_surrogates_become_replacement_characters() -> None:
    """A lone surrogate (valid JSON escape, invalid UTF-8) never reaches an excerpt or output."""
    verdict = lint("## Context\nTODO \ud800 here in `/api/x`\n")
    rendered = render_json(verdict)
    rendered.encode("utf-8")  # raises if a surrogate survived
    assert "\ufffd" in rendered
