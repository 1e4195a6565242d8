"""The console's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from shared.metrics import counter

EVENTS_PROJECTED: Final = counter(
    "alertorch_api_events_projected_total",
    "Events folded into the console's read model (redeliveries not counted), by topic.",
    ["topic"],
)
DEAD_LETTERS_SEEN: Final = counter(
    "alertorch_api_dead_letters_seen_total",
    "Dead letters read from the .dlq topics (redeliveries not counted), by DLQ topic.",
    ["topic"],
)
COMMANDS_PUBLISHED: Final = counter(
    "alertorch_api_commands_published_total",
    "Commands published from the API, by action.",
    ["action"],
)
