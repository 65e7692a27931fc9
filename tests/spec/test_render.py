"""The verdict renders as Markdown, JSON and terminal text."""

from __future__ import annotations

import json

from rich.console import Console

from bot.spec import (
    GITHUB_COMMENT_LIMIT,
    code_span,
    lint,
    render_json,
    render_json_many,
    render_markdown,
    render_text,
)
from tests.spec.conftest import BASE_SPEC

HOSTILE = (
    "## Acceptance criteria\n- [ ] @octocat </details> <img src=x onerror=alert(1)> "
    "**bold** [link](http://evil) #123 is fast. Then `tick` ``two`` | pipe.\n"
)


def test_markdown_puts_the_verdict_first_then_scores() -> None:
    """The first line says ready or not with the score; the scores table follows."""
    markdown = render_markdown(lint(BASE_SPEC))
    first = markdown.splitlines()[0]
    assert first == "### Spec check: ✅ ready (score 100/100)"
    assert "| 100 | 100 | 100 | 100 |" in markdown
    assert "Judged as a **feature**: it needs context" in markdown
    assert "No gaps found." in markdown


def test_markdown_lists_gaps_with_line_excerpt_and_fix_and_folds_info() -> None:
    """Each gap shows its id, line, excerpt and fix; info items sit inside <details>."""
    item = "- [ ] Store the orders in a global variable."
    body = BASE_SPEC + f"\n### Anything else?\n\n_No response_\n{item}\n"
    markdown = render_markdown(lint(body))
    assert "**Blocking (1)**" in markdown
    line = body.splitlines().index(item) + 1
    assert f"**IMP-001** (line {line})" in markdown
    assert f"` {item} `" in markdown
    assert "*Fix:* Describe the observable behaviour" in markdown
    details = markdown[markdown.index("<details>") :]
    assert "STR-004" in details and details.rstrip().endswith("</details>")


def test_markdown_heading_level_and_title_fit_a_larger_comment() -> None:
    """The renderer can be one section of a tracking comment."""
    markdown = render_markdown(lint(BASE_SPEC), title="Gate", heading_level=2)
    assert markdown.startswith("## Gate: ✅ ready")


def test_body_text_cannot_break_or_inject_markdown() -> None:
    """Excerpts are code spans: no mention, HTML, link or closing tag escapes them."""
    markdown = render_markdown(lint(HOSTILE))
    excerpt_lines = [line for line in markdown.splitlines() if "octocat" in line]
    assert excerpt_lines
    for line in excerpt_lines:
        stripped = line.strip()
        assert stripped.startswith("```") and stripped.endswith("```")
    assert all(line in excerpt_lines for line in markdown.splitlines() if "</details>" in line)


def test_code_span_uses_a_longer_fence_than_any_backtick_run() -> None:
    """Text with backticks still makes one code span."""
    assert code_span("a `b` c") == "`` a `b` c ``"
    assert code_span("x```y") == "```` x```y ````"
    assert code_span("") == "`   `"


def test_markdown_never_exceeds_the_comment_limit() -> None:
    """Thousands of findings are cut with a note, under GitHub's limit."""
    body = "## Acceptance criteria\n" + "".join(
        f"- [ ] Item {i} {'x' * 100} is fast, etc. and 100% uptime\n" for i in range(2000)
    )
    verdict = lint(body)
    markdown = render_markdown(verdict)
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    small = render_markdown(verdict, max_chars=3000)
    assert len(small) <= 3000
    assert "more findings are not shown" in small


def test_json_has_exactly_the_contract_fields() -> None:
    """`ready`, `score`, `scores` P1-P4, findings with the seven fields, then the kind."""
    data = json.loads(render_json(lint(BASE_SPEC + "\n- [ ] Use a for loop over orders.\n")))
    assert list(data) == ["ready", "score", "scores", "findings", "kind"]
    assert data["kind"] == "feature"
    assert list(data["scores"]) == ["P1", "P2", "P3", "P4"]
    finding = data["findings"][0]
    assert list(finding) == ["id", "severity", "principle", "line", "excerpt", "message", "fix"]
    assert data["ready"] is False


def test_json_for_several_specs_adds_the_path() -> None:
    """A list of objects, each with `path` and the contract fields."""
    data = json.loads(render_json_many([("a.md", lint(BASE_SPEC)), ("b.md", lint(""))]))
    assert [item["path"] for item in data] == ["a.md", "b.md"]
    assert [item["ready"] for item in data] == [True, False]


def test_text_rendering_shows_findings_without_interpreting_markup() -> None:
    """Rich markup in a body is printed literally."""
    console = Console(record=True, width=120, color_system=None)
    console.print(render_text(lint("## Notes\n[bold]hi[/] is fast"), source="x.md"))
    output = console.export_text()
    assert "x.md: not ready" in output
    assert "[bold]hi[/] is fast" in output


def test_control_characters_never_reach_an_excerpt() -> None:
    """Terminal escape sequences in a body are replaced before any output sees them."""
    verdict = lint("## Notes\n\x1b[2J\x1b]0;pwned\x07 the list is fast\n")
    excerpts = [f.excerpt for f in verdict.findings if f.excerpt]
    assert excerpts
    assert all("\x1b" not in e and "\x07" not in e for e in excerpts)
    assert "\ufffd[2J" in excerpts[0]
