"""Reading a ``/metrics`` exposition back with prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def parse(text: str) -> list[Sample]:
    """Every sample of ``text``; the parser raises on anything that is not the text format."""
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def scrape(registry: CollectorRegistry) -> list[Sample]:
    """The samples of ``registry``, through the exposition Prometheus reads."""
    return parse(generate_latest(registry).decode())


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The value of the one sample named ``name`` with exactly ``labels`` (0 when absent)."""
    found = [s for s in samples if s.name == name and s.labels == labels]
    assert len(found) <= 1, found
    return found[0].value if found else 0.0


def matching(samples: list[Sample], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples named ``name``, by their sorted labels."""
    return {tuple(sorted(s.labels.items())): s.value for s in samples if s.name == name}
