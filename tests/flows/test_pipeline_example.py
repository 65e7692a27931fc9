"""docs/examples/specbot-spec-to-pull-request.yml through the App: the spec flow's pipeline
takes a ready spec to a reviewed pull request under the example's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.flows.stack_fixtures import (
    alice_repo,
    implement_script,
    spec_to_review,
    start,
)

pytestmark = pytest.mark.slow

CONFIG = ROOT.joinpath("docs", "examples", "specbot-spec-to-pull-request.yml").read_text("utf-8")


def test_the_pipeline_example_takes_a_spec_to_a_reviewed_pull_request(
    tmp_path: Path, app_key_pem: Path
) -> None:
    """Gate (at the example's min_score), plan, implement, the example's test command, publish,
    then the review: one pull request, one review, the tests the example names were run."""
    with start(tmp_path, app_key_pem, implement_script(), config=CONFIG) as stack:
        pull = spec_to_review(stack)
        body = alice_repo(stack).get_pull(pull.number).body
        reviews = list(pull.get_reviews())
    assert len(reviews) == 1
    assert "python -m pytest -q" in body, body
