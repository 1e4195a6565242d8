"""The console's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

from shared.metrics import REGISTRY

EVENTS_PROJECTED: Final = Counter(
    "alertorch_api_events_projected_total",
    "Events folded into the console's read model (redeliveries not counted), by topic.",
    ["topic"],
    registry=REGISTRY,
)
DEAD_LETTERS_SEEN: Final = Counter(
    "alertorch_api_dead_letters_seen_total",
    "Dead letters read from the .dlq topics (redeliveries not counted), by DLQ topic.",
    ["topic"],
    registry=REGISTRY,
)
COMMANDS_PUBLISHED: Final = Counter(
    "alertorch_api_commands_published_total",
    "Commands published from the API, by action.",
    ["action"],
    registry=REGISTRY,
)
