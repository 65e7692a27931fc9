"""The review: section of .github/specbot.yml: the verdict policy and pull requests from forks."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, load_repo_config
from bot.review import ReviewPolicy
from tests.conftest import RunSpecbot


def test_forks_are_not_reviewed_unless_the_file_says_so() -> None:
    """An empty file, or a review section without the key, leaves forks out."""
    assert load_repo_config("").review.forks is False
    assert load_repo_config("review:\n").review.forks is False
    review = load_repo_config("review:\n  forks: true\n  min_confidence: 0.7\n").review
    assert review.forks is True and review.min_confidence == 0.7
    assert isinstance(review, ReviewPolicy)  # what the swarm's verdict takes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("review:\n  fork: true\n", ".github/specbot.yml:2: review.fork: unknown key"),
        ("review:\n  forks: please\n", ".github/specbot.yml:2: review.forks: "),
    ],
)
def test_a_mistyped_forks_key_is_an_error_naming_its_line(text: str, message: str) -> None:
    """A typo or a value that is not a boolean is refused; it never turns reviews of forks on."""
    with pytest.raises(ConfigError) as refused:
        load_repo_config(text)
    assert str(refused.value).startswith(message)


def test_the_json_schema_documents_review_forks(run_specbot: RunSpecbot) -> None:
    """`specbot config schema` lists ``review.forks`` with its default and what it does."""
    result = run_specbot("config", "schema")
    assert result.returncode == 0, result.stderr
    forks = json.loads(result.stdout)["$defs"]["ReviewConfig"]["properties"]["forks"]
    assert forks["default"] is False and "fork" in forks["description"]
