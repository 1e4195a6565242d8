"""Prometheus metrics shared by every service. Names are a closed set, declared here once.

Every metric lives in :data:`REGISTRY` and is declared through :func:`counter`, :func:`gauge` or
:func:`histogram`; each service's own metrics are in its ``metrics`` module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY: Final = CollectorRegistry(auto_describe=True)


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A counter in :data:`REGISTRY`, with ``labels`` as its label names."""
    return Counter(name, documentation, labels, registry=REGISTRY)


def gauge(name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
    """A gauge in :data:`REGISTRY`, with ``labels`` as its label names."""
    return Gauge(name, documentation, labels, registry=REGISTRY)


def histogram(
    name: str, documentation: str, labels: Sequence[str], *, buckets: Sequence[float]
) -> Histogram:
    """A histogram in :data:`REGISTRY`, with ``labels`` as its label names."""
    return Histogram(name, documentation, labels, registry=REGISTRY, buckets=buckets)


MESSAGES_CONSUMED: Final = counter(
    "alertorch_messages_consumed_total",
    "Messages handled by a consumer, by outcome (ok, retried, dead_lettered).",
    ["service", "topic", "outcome"],
)
MESSAGES_PUBLISHED: Final = counter(
    "alertorch_messages_published_total",
    "Events published and acknowledged by the broker.",
    ["service", "topic"],
)
HANDLING_SECONDS: Final = histogram(
    "alertorch_message_handling_seconds",
    "Time to handle one consumed message, outputs acknowledged included.",
    ["service", "topic"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERED: Final = counter(
    "alertorch_messages_dead_lettered_total",
    "Messages sent to a DLQ topic, by reason class.",
    ["service", "topic", "error"],
)
CONSUMER_READY: Final = gauge(
    "alertorch_consumer_ready",
    "1 while the service's consumers run normally, 0 when halted (e.g. DLQ budget spent).",
    ["service"],
)
BACKGROUND_FAILURES: Final = counter(
    "alertorch_background_failures_total",
    "Failed steps of a background task (poller, timers, outbox retries), which then goes on.",
    ["service", "task"],
)


def render() -> tuple[bytes, str]:
    """The exposition text of every metric in :data:`REGISTRY` and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE
