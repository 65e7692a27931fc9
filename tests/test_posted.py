"""Model-written text is inert once rendered for GitHub: read back with a CommonMark parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.posted import (
    ANNOTATION_BYTES_LIMIT,
    code_span,
    fit,
    fit_bytes,
    inert_line,
    inert_plain,
    inert_text,
    suggestion_block,
)
from tests.markdown_probe import (
    blocks,
    foreign_html,
    last_block_is_paragraph,
    live_mentions,
    rendered_text,
)

# Fragments an attacker combines: mentions, references, HTML, entities, fences, containers.
FRAGMENTS = [
    "@bob",
    "@acme/team",
    "#1",
    "GH-2",
    "acme/widgets#3",
    "https://github.com/acme/widgets/issues/4",
    "<!--",
    "-->",
    "<b>",
    "<script>",
    "&#64;",
    "&commat;",
    "&#x23;5",
    "```",
    "~~~",
    "`",
    "    ",
    "> ",
    "- ",
    "1. ",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\t",
    "\\",
    "|",
    "*",
    "_",
    "[x](",
    "a",
    " ",
]
hostile = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join) | st.text(max_size=80)
SENTINEL = "SENTINEL-after"


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_inert_text_cannot_hide_notify_or_spill(text: str) -> None:
    """No HTML, no live mention or reference, and what specbot writes after it stays visible."""
    body = f"specbot says:\n\n{inert_text(text)}\n\n{SENTINEL}"
    assert foreign_html(body) == []
    assert live_mentions(body) == []
    assert "<!--" not in inert_text(text)
    assert last_block_is_paragraph(body, SENTINEL)


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_inert_line_stays_inside_specbot_line(text: str) -> None:
    """A label keeps to its place in specbot's line: one paragraph, nothing swallowed after."""
    body = f"**major** · {inert_line(text)} · confidence 90%\n\n{SENTINEL}"
    tokens = blocks(body)
    assert [t.type for t in tokens[:3]] == ["paragraph_open", "inline", "paragraph_close"]
    assert tokens[1].content.endswith(" · confidence 90%")
    assert rendered_text(body).split("\n")[0].rstrip().endswith("· confidence 90%")
    assert foreign_html(body) == [] and live_mentions(body) == []
    assert last_block_is_paragraph(body, SENTINEL)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_code_span_holds_its_text_exactly(text: str) -> None:
    """The span reads back as the text (line breaks as spaces) and ends where it should."""
    flat = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    flat = flat.replace("\x00", "\ufffd")  # CommonMark's replacement, GitHub's too
    tokens = blocks(f"see {code_span(text)} here")
    children = tokens[1].children or []
    codes = [child for child in children if child.type == "code_inline"]
    assert len(codes) == 1
    assert codes[0].content == flat or (not flat.strip(" ") and codes[0].content.strip() == "")
    assert children[-1].type == "text" and children[-1].content.endswith(" here")


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_suggestion_block_is_one_fence_with_the_suggestion(text: str) -> None:
    """A suggestion full of fences is one ``suggestion`` block; nothing after it is code."""
    body = f"{suggestion_block(text)}\n\n{SENTINEL}"
    fences = [t for t in blocks(body) if t.type == "fence"]
    assert len(fences) == 1 and fences[0].info == "suggestion"
    expected = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    expected = expected.replace("\x00", "\ufffd")
    assert fences[0].content == (expected + "\n" if expected else "")
    assert last_block_is_paragraph(body, SENTINEL)


def test_inert_text_keeps_markdown_and_reads_the_same() -> None:
    """Emphasis, lists and code stay; mentions and references read the same, unlinked."""
    text = "Use **`os.path`** here:\n\n- ask @alice\n- see #12 and GH-3 <b>now</b>"
    out = inert_text(text)
    assert rendered_text(out).replace("\u200b", "").split() == [
        "Use",
        "os.path",
        "here:",
        "ask",
        "@alice",
        "see",
        "#12",
        "and",
        "GH-3",
        "<b>now</b>",
    ]
    assert "**`os.path`**" in out and live_mentions(out) == []


def test_an_unclosed_fence_is_quoted_so_it_closes() -> None:
    """A message opening a code fence is put in a block quote; the next finding stays text."""
    out = inert_text("Consider:\n```python\nx = 1")
    assert out.splitlines() == ["> Consider:", "> ```python", "> x = 1"]
    assert last_block_is_paragraph(f"{out}\n\nnext finding", "next finding")


def test_entities_that_decode_to_mentions_are_defused() -> None:
    """``&#64;bob`` renders as ``@bob`` after Markdown: it must not become a mention."""
    assert live_mentions("&#64;bob") == ["@b"]  # the probe sees what GitHub would
    assert live_mentions(inert_text("&#64;bob &commat;team &#35;7")) == []


def test_plain_text_defuses_closing_keywords_and_mentions() -> None:
    """Commit messages and annotations: ``Closes #4`` and ``@bob`` do nothing."""
    out = inert_plain("Closes #4, fixes acme/widgets#5, thanks @bob")
    assert "#4" not in out and "#5" not in out and "@bob" not in out
    assert out.replace("\u200b", "") == "Closes #4, fixes acme/widgets#5, thanks @bob"


@given(st.text(max_size=3000), st.integers(min_value=40, max_value=2000))
def test_fit_bounds_length(text: str, limit: int) -> None:
    """Cut text never exceeds the limit, in characters or in UTF-8 bytes."""
    assert len(fit(text, limit)) <= limit
    assert len(fit_bytes(text * 30).encode("utf-8")) <= ANNOTATION_BYTES_LIMIT


@settings(max_examples=100, deadline=None)
@given(hostile)
def test_inert_text_respects_a_limit(text: str) -> None:
    """The limit holds after defusing, which adds characters."""
    assert len(inert_text(text * 50, 500)) <= 500
