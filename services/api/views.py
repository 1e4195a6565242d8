"""Read-model rows as the API shows them: times in ISO 8601 (UTC)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.api.analytics import iso
from services.api.projection import Alert

TIME_FIELDS = ("at", "failed_at", "created_at", "revoked_at")


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "title": alert.title,
        "severity": alert.severity,
        "category": alert.category,
        "service": alert.service,
        "environment": alert.environment,
        "status": alert.status,
        "level": alert.level,
        "occurrences": alert.occurrences,
        "events": alert.events,
        "first_seen": iso(alert.first_seen),
        "last_seen": iso(alert.last_seen),
        "first_notified_at": iso(alert.first_notified_at),
        "acknowledged_at": iso(alert.acked_at),
        "acknowledged_by": alert.acked_by,
        "snoozed_until": iso(alert.snoozed_until),
        "resolved_at": iso(alert.resolved_at),
        "escalations": alert.escalations,
        "impact_score": alert.impact_score,
        "trend": alert.trend,
        "pattern_id": alert.pattern_id,
        "template": alert.template,
        "url": alert.url,
        "correlation_id": alert.correlation_id,
        "resolution": {
            "status": alert.resolution_status,
            "strategy": alert.resolution_strategy,
            "attempt_id": alert.attempt_id,
            "at": iso(alert.resolution_at),
        },
    }


def row_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with its epoch-seconds fields as ISO 8601."""
    return {key: iso(value) if key in TIME_FIELDS else value for key, value in row.items()}
