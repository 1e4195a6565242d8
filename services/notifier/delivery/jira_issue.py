"""The text of a problem's Jira issue and of later comments (pure), rendered by
:mod:`shared.jira_text` in the site's dialect: untrusted text cannot mention, link or break out."""

from __future__ import annotations

from typing import Any

from shared import jira_text
from shared.events import NotificationData
from shared.jira_text import JiraText


def issue_summary(notification: NotificationData) -> str:
    summary = notification.summary
    return jira_text.summary(summary.severity.value, summary.title)


def issue_description(notification: NotificationData, text: JiraText) -> Any:
    summary = notification.summary
    return text.description(
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


def comment_body(notification: NotificationData, text: JiraText) -> Any:
    summary = notification.summary
    head = (
        f"{notification.kind.replace('_', ' ')} at escalation level {notification.level} "
        f"(severity {summary.severity.value}, {summary.count} occurrences)"
    )
    return text.comment(head, notification.text or None)
