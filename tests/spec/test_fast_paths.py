"""The gate's fast paths agree with the plain definitions they replace, on random text."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.spec._lexicon import lexicon_hits, match_positions, tokenize
from bot.spec._signals import measurable_positions

# Words of several phrases that share words or overlap ("fall back" / "back off").
PHRASE_WORDS = [
    "not", "found", "as", "soon", "possible", "keep", "retrying", "fall", "back", "off", "the",
    "usual", "way", "don't", "time", "out", "retry", "until", "no", "results", "x", "fast",
]  # fmt: skip
# The rubric's figures as plain patterns (RUBRIC.md section 4): clock times, dates, percentiles.
CLOCK = re.compile(r"\d:\d\d(?!\d)")
DATE = re.compile(r"\d{4}-\d\d-\d\d(?!\d)")
PERCENTILE_WORDS = re.compile(r"\d{2}(?:st|nd|rd|th)[ \t]+percentile|percentil[ \t]+\d{2}")
FIGURE_PIECES = [
    "1", "2", "9", "5", "th", "st", " ", "\t", "percentile", "percentil", "e", "\n", ":", "-",
    "a", "0", "2024-01-02", "10:30", ":30", "x:", "-01-02",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PHRASE_WORDS), max_size=14))
def test_lexicon_hits_equal_the_lexicons_of_every_placed_phrase(words: list[str]) -> None:
    """The set-intersection matcher finds exactly the lexicons the positional matcher places."""
    tokens = tokenize(" ".join(words))
    assert lexicon_hits(tokens) == frozenset(name for _, _, name in match_positions(tokens))


def _lines(text: str, offsets: list[int]) -> set[int]:
    return {text.count("\n", 0, offset) for offset in offsets}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FIGURE_PIECES), max_size=30).map("".join))
@example("at x:30, 1:30 and 2024-01-02 or 24-01-02; 95th percentile, percentil 95")
def test_clock_date_and_percentile_words_are_found_on_the_same_lines(text: str) -> None:
    """Scans that start at a literal mark the same lines as the rubric's plain patterns."""
    kinds = measurable_positions(text)
    time_lines = _lines(text, [offset for offset, kind in kinds if kind == "time"])
    expected_time = [m.start() for m in CLOCK.finditer(text)] + [
        m.start() for m in DATE.finditer(text)
    ]
    assert time_lines == _lines(text, expected_time)
    # The pieces hold no p95-style token, so every "pct" comes from the percentile words.
    pct_lines = _lines(text, [offset for offset, kind in kinds if kind == "pct"])
    assert pct_lines == _lines(text, [m.start() for m in PERCENTILE_WORDS.finditer(text)])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab_1.'- é\t\nZ\u00aa\u0660"), max_size=40))
def test_ascii_tokenizing_equals_unicode_tokenizing(text: str) -> None:
    """ASCII text is tokenized as the Unicode pattern would; other text by that pattern."""
    assert tokenize(text) == re.findall(r"\w+(?:[.']\w+)*", text)
