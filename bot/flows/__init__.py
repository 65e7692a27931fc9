"""specbot's GitHub flows: one router per feature, merged, and the catalog workers serve.

``router`` says which deliveries the flows handle (the web server stores only those);
``build_catalog(services)`` holds the ingest pipeline that dispatches them through ``router``,
the flows' pipelines (spec, spec-approved, review, criteria, follow-up) with their queues and
the subscriber that runs repositories' event flows, every one of them working through
``services``. ``specbot serve`` and ``specbot worker`` serve
``catalog_for(settings)``: the same over the services the environment describes.
"""

from __future__ import annotations

from bot.flows import (
    _clarify,
    _commands,
    _event_flows,
    _followup,
    _installations,
    _review,
    _spec,
)
from bot.flows._context import DeliveryContext, FlowRouter
from bot.flows._services import Services, ServicesError, check_settings, from_settings
from bot.flows._state import SpecRun
from bot.ingest import ingest_pipeline, ingest_queue
from bot.orchestra import Catalog, QueueSpec, StageContext, StormLimits
from bot.routing import Router
from bot.settings import Settings
from bot.webhooks import Event

router: FlowRouter = Router(
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


def build_catalog(services: Services) -> Catalog:
    """The ingest pipeline over ``router`` plus every flow's pipelines and queues."""

    def context_for(event: Event, stage: StageContext) -> DeliveryContext:
        return DeliveryContext.of(services, event, stage)

    catalog = Catalog().add(ingest_pipeline(router, context_for), ingest_queue(), *flow_queues())
    catalog.add(
        *_spec.spec_pipelines(services),
        _review.review_pipeline(services),
        _review.criteria_pipeline(services),
        _followup.followup_pipeline(services),
        _event_flows.subscription(services),
    )
    catalog.storm = StormLimits(max_events_per_chain=services.settings.event_chain_limit)
    return catalog


def catalog_for(settings: Settings) -> Catalog:
    """The flows' catalog over the production services ``settings`` describe."""
    return build_catalog(from_settings(settings))


__all__ = [
    "Services",
    "ServicesError",
    "SpecRun",
    "build_catalog",
    "catalog_for",
    "check_settings",
    "from_settings",
    "router",
]
