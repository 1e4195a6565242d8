"""The text of a problem's GitHub issue and of later comments (pure), rendered by
:mod:`shared.github_markdown`: untrusted text cannot mention, link or break out."""

from __future__ import annotations

from shared import github_markdown
from shared.events import NotificationData
from shared.github_markdown import BODY_LIMIT, cut, fenced, inline_code


def issue_title(notification: NotificationData) -> str:
    summary = notification.summary
    return github_markdown.issue_title(summary.severity.value, summary.title)


def issue_body(notification: NotificationData) -> str:
    summary = notification.summary
    return github_markdown.issue_body(
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


def comment_body(notification: NotificationData) -> str:
    summary = notification.summary
    head = (
        f"**{notification.kind.replace('_', ' ')}** at escalation level {notification.level} "
        f"(severity {inline_code(summary.severity.value)}, {summary.count} occurrences)"
    )
    parts = [head]
    if notification.text:
        parts += ["", fenced(notification.text)]
    return cut("\n".join(parts), BODY_LIMIT)
