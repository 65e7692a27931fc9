"""The corpus of specs gets the expected verdicts and findings."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.spec import lint
from tests.spec.conftest import CORPUS

EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (CORPUS / "expected.yml").read_text(encoding="utf-8")
)


def test_corpus_is_large_and_complete() -> None:
    """At least 40 specs, each with an expectation, and no expectation without a file."""
    files = {path.name for path in CORPUS.glob("*.md")}
    assert len(files) >= 40
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_spec_gets_expected_verdict(name: str) -> None:
    """Ready as expected; the required ids appear and the excluded ones do not."""
    expected = EXPECTED[name]
    verdict = lint((CORPUS / name).read_bytes())
    ids = {finding.id for finding in verdict.findings}
    assert verdict.ready is expected["ready"]
    assert set(expected["must"]) <= ids
    assert not set(expected["must_not"]) & ids


def test_crlf_and_lf_bodies_get_the_same_verdict() -> None:
    """Line endings never change the verdict."""
    lf = lint((CORPUS / "en-headings-ready.md").read_bytes())
    crlf = lint((CORPUS / "en-headings-crlf-ready.md").read_bytes())
    assert b"\r\n" in (CORPUS / "en-headings-crlf-ready.md").read_bytes()
    assert lf == crlf
