"""The text of a problem's Jira issue and of later comments (pure), rendered by
:mod:`shared.jira_text` in the site's dialect: untrusted text cannot mention, link or break out."""

from __future__ import annotations

from typing import Any

from services.notifier.delivery.identity import notification_key
from services.notifier.delivery.issue_parts import issue_parts
from shared import jira_text
from shared.events import NotificationData
from shared.jira_text import JiraText


def issue_summary(notification: NotificationData) -> str:
    summary = notification.summary
    return jira_text.summary(summary.severity.value, summary.headline)


def issue_description(notification: NotificationData, text: JiraText) -> Any:
    return text.description(issue_parts(notification))


def comment_body(notification: NotificationData, text: JiraText) -> Any:
    summary = notification.summary
    head = (
        f"{notification.kind.replace('_', ' ')} at escalation level {notification.level} "
        f"(severity {summary.severity.value}, {summary.count} occurrences)"
    )
    return text.comment(
        head, notification.text or None, notification=notification_key(notification)
    )
