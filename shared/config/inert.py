"""Settings of the seed's configuration that are accepted (so a seed config.yaml loads) but do
nothing yet. ``validate-config`` names each one a config file sets, so nobody relies on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from shared.config.yaml_lines import Where

#: Dotted keys (a section or one key) that have no effect in this build.
INERT: Final[tuple[str, ...]] = (
    "components.error_analysis_enabled",
    "error_analysis",
    "monitoring.metrics_collection",
    "monitoring.health_checks",
    "monitoring.performance_tracking",
    "security",
    "advanced",
    "development",
    "maintenance.scheduled_maintenance.enabled",
    "maintenance.scheduled_maintenance.daily_cleanup_hour",
    "maintenance.updates",
    "storage.persistence",
    "storage.cleanup",
    "business_impact.revenue_thresholds",
    "escalation.thresholds",
    "escalation.escalation_levels",
)


#: Where the job of an inert key is done instead.
INSTEAD: Final[dict[str, str]] = {
    "escalation.thresholds": "escalation_rules.yaml triggers (time_based, frequency_based) "
    "escalate by age, occurrences and failed fixes per hour",
    "escalation.escalation_levels": "escalation_rules.yaml escalation_levels define the levels",
    "error_analysis": "error_patterns.json confidences and auto_resolution.confidence_thresholds "
    "decide what a classification may do",
}


def inert_keys(document: Mapping[str, Any], lines: Where) -> list[str]:
    """A warning for each inert key ``document`` sets, with its file and line."""
    found = []
    for dotted in INERT:
        node: Any = document
        path = tuple(dotted.split("."))
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            instead = f"; {INSTEAD[dotted]}" if dotted in INSTEAD else ""
            found.append(
                f"{lines.where(path)}: {dotted} is accepted but has no effect in this build"
                f"{instead}"
            )
    return found
