"""The analyzer's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge

from shared.metrics import REGISTRY

EVENTS: Final = Counter(
    "alertorch_analyzer_events_total",
    "Errors classified, by category and trend.",
    ["category", "trend"],
    registry=REGISTRY,
)
TEMPLATES: Final = Gauge(
    "alertorch_analyzer_templates",
    "Templates (Drain clusters) currently known.",
    registry=REGISTRY,
)
PATTERN_RELOADS: Final = Counter(
    "alertorch_analyzer_pattern_reloads_total",
    "Reloads of error_patterns.json, by outcome (ok, invalid).",
    ["outcome"],
    registry=REGISTRY,
)
