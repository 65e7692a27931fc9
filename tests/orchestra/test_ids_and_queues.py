"""Deterministic run ids and queue declarations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.orchestra import (
    QueueSpec,
    body_sha,
    default_queues,
    default_rate_limits,
    delivery_workflow_id,
    issue_partition,
    review_prefix,
    review_workflow_id,
    spec_workflow_id,
)


def test_ids_follow_the_documented_shapes() -> None:
    """Ids read delivery:<id>, spec:<repo>#<issue>:<body-sha>, review:<repo>#<pr>@<sha>."""
    assert delivery_workflow_id("72d3162e-cc78") == "delivery:72d3162e-cc78"
    assert (
        spec_workflow_id("acme/widgets", 42, "body") == f"spec:acme/widgets#42:{body_sha('body')}"
    )
    assert len(body_sha("body")) == 16
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert review_workflow_id("acme/widgets", 7, sha.upper()) == f"review:acme/widgets#7@{sha}"
    assert review_workflow_id("acme/widgets", 7, sha).startswith(review_prefix("acme/widgets", 7))
    assert issue_partition("acme/widgets", 42) == "acme/widgets#42"


def test_an_edited_issue_gets_a_new_spec_run() -> None:
    """A changed body changes the id; the same body always gives the same id."""
    first = spec_workflow_id("acme/widgets", 1, "v1")
    assert first == spec_workflow_id("acme/widgets", 1, "v1")
    assert first != spec_workflow_id("acme/widgets", 1, "v2")


@pytest.mark.parametrize(
    "call",
    [
        lambda: delivery_workflow_id(" "),
        lambda: spec_workflow_id("acme", 1, "x"),
        lambda: spec_workflow_id("acme/widgets", 0, "x"),
        lambda: review_workflow_id("acme/widgets", 1, "not-a-sha"),
        lambda: review_prefix("a/b/c", 1),
    ],
)
def test_bad_parts_are_refused(call: object) -> None:
    """Malformed repositories, numbers or shas raise ValueError instead of making odd ids."""
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_default_queues_hold_the_product_limits() -> None:
    """One implementer per issue, N reviews per repository, call budgets toward the APIs."""
    queues = {q.name: q for q in default_queues(reviews_per_repository=3, global_concurrency=5)}
    assert queues["implement"].partition_concurrency == 1
    assert queues["review"].partition_concurrency == 3
    assert all(q.global_concurrency in (5, 10) for q in queues.values())
    assert not queues["pipelines"].is_partitioned
    budgets = default_rate_limits(model_requests_per_minute=40)
    assert (budgets["model"].limit, budgets["model"].period_seconds) == (40, 60)
    assert "github" in budgets


def test_queue_names_and_limits_are_validated() -> None:
    """A queue name with spaces or a zero limit is refused."""
    with pytest.raises(ValidationError):
        QueueSpec(name="has space")
    with pytest.raises(ValidationError):
        QueueSpec(name="q", global_concurrency=0)
