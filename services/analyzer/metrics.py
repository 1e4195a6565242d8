"""The analyzer's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from shared.metrics import counter, gauge

EVENTS: Final = counter(
    "alertorch_analyzer_events_total",
    "Errors classified, by category and trend.",
    ["category", "trend"],
)
TEMPLATES: Final = gauge(
    "alertorch_analyzer_templates",
    "Templates (Drain clusters) currently known.",
)
PATTERN_RELOADS: Final = counter(
    "alertorch_analyzer_pattern_reloads_total",
    "Reloads of error_patterns.json, by outcome (ok, invalid).",
    ["outcome"],
)
