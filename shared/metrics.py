"""Prometheus metrics shared by every service. Names are a closed set, declared here once."""

from __future__ import annotations

from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY: Final = CollectorRegistry(auto_describe=True)

MESSAGES_CONSUMED: Final = Counter(
    "alertorch_messages_consumed_total",
    "Messages handled by a consumer, by outcome (ok, retried, dead_lettered).",
    ["service", "topic", "outcome"],
    registry=REGISTRY,
)
MESSAGES_PUBLISHED: Final = Counter(
    "alertorch_messages_published_total",
    "Events published and acknowledged by the broker.",
    ["service", "topic"],
    registry=REGISTRY,
)
HANDLING_SECONDS: Final = Histogram(
    "alertorch_message_handling_seconds",
    "Time to handle one consumed message, outputs acknowledged included.",
    ["service", "topic"],
    registry=REGISTRY,
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERED: Final = Counter(
    "alertorch_messages_dead_lettered_total",
    "Messages sent to a DLQ topic, by reason class.",
    ["service", "topic", "error"],
    registry=REGISTRY,
)
CONSUMER_READY: Final = Gauge(
    "alertorch_consumer_ready",
    "1 while the service's consumers run normally, 0 when halted (e.g. DLQ budget spent).",
    ["service"],
    registry=REGISTRY,
)
BACKGROUND_FAILURES: Final = Counter(
    "alertorch_background_failures_total",
    "Failed steps of a background task (poller, timers, outbox retries), which then goes on.",
    ["service", "task"],
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The exposition text of every metric in :data:`REGISTRY` and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE
