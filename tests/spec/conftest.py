"""Shared data for the spec tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
BASE_SPEC = (CORPUS / "en-headings-ready.md").read_text(encoding="utf-8")


@pytest.fixture
def base_spec() -> str:
    """A ready spec with no findings at all, to mutate one rule at a time."""
    return BASE_SPEC
