"""What the notifier's issue targets (GitHub, Jira) write about a problem when they open its
issue."""

from __future__ import annotations

from shared.events import NotificationData
from shared.issue_parts import IssueParts


def issue_parts(notification: NotificationData) -> IssueParts:
    summary = notification.summary
    return IssueParts(
        intro="Opened by alertorch for one problem; later notifications about it arrive as "
        "comments.",
        facts={
            "severity": summary.severity.value,
            "category": summary.category,
            "service": summary.service,
            "environment": summary.environment,
            "impact score": summary.impact_score,
            "trend": summary.trend,
            "occurrences": summary.count,
            "escalation level": notification.level,
        },
        url=summary.url,
        fingerprint=notification.fingerprint,
        title=summary.title,
        text=notification.text or None,
    )
