"""specbot's GitHub flows: one router per feature, merged, and the catalog workers serve.

``router`` handles verified deliveries inside the ingest run; ``catalog`` holds the ingest
pipeline and the flows' pipelines (spec, spec-approved, review, follow-up) with their queues.
``specbot serve`` and ``specbot worker`` load both by default.
"""

from __future__ import annotations

from bot.flows import _clarify, _commands, _followup, _installations, _review, _spec
from bot.flows._services import (
    Services,
    ServicesError,
    bind,
    check_settings,
    current,
    from_settings,
    unbind,
)
from bot.flows._state import SpecRun
from bot.ingest import IngestRouter, ingest_pipeline, ingest_queue
from bot.orchestra import Catalog, QueueSpec
from bot.routing import Router

router: IngestRouter = Router(
    _spec.router,
    _review.router,
    _followup.router,
    _commands.router,
    _clarify.router,
    _installations.router,
)


def flow_queues() -> list[QueueSpec]:
    """One implementer per issue, two reviews per repository, both polled twice a second."""
    return [
        QueueSpec(
            name="implement",
            global_concurrency=4,
            partition_concurrency=1,
            max_waiting=1000,
            polling_interval_seconds=0.5,
        ),
        QueueSpec(
            name="review",
            global_concurrency=4,
            partition_concurrency=2,
            max_waiting=1000,
            polling_interval_seconds=0.5,
        ),
    ]


def build_catalog() -> Catalog:
    """The ingest pipeline over ``router`` plus every flow's pipelines and queues."""
    catalog = Catalog().add(ingest_pipeline(router), ingest_queue(), *flow_queues())
    catalog.add(
        *_spec.spec_pipelines(),
        _review.review_pipeline(),
        _review.criteria_pipeline(),
        _followup.followup_pipeline(),
    )
    return catalog


catalog = build_catalog()

__all__ = [
    "Services",
    "ServicesError",
    "SpecRun",
    "bind",
    "catalog",
    "check_settings",
    "current",
    "from_settings",
    "router",
    "unbind",
]
