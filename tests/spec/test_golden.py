"""Every golden input still gets exactly the stored verdict and parsed spec."""

from __future__ import annotations

import json

import pytest

from tests.spec.golden import GOLDEN, cases, record

STORED: dict[str, dict[str, object]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
CASES = dict(cases())


def test_golden_file_covers_every_input() -> None:
    """The golden file names exactly the current inputs (a new spec file needs regenerating)."""
    assert sorted(STORED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdict_matches_golden(name: str) -> None:
    """The JSON verdict and the parsed spec equal the stored ones byte for byte."""
    assert record(CASES[name]) == STORED[name]
