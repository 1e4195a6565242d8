"""The text of a problem's GitHub issue and of later comments (pure), rendered by
:mod:`shared.github_markdown`: untrusted text cannot mention, link or break out."""

from __future__ import annotations

from services.notifier.delivery.identity import notification_key
from services.notifier.delivery.issue_parts import issue_parts
from shared import github_markdown
from shared.events import NotificationData
from shared.github_markdown import BODY_LIMIT, cut, fenced, inline_code


def issue_title(notification: NotificationData) -> str:
    summary = notification.summary
    return github_markdown.issue_title(summary.severity.value, summary.headline)


def issue_body(notification: NotificationData) -> str:
    return github_markdown.issue_body(issue_parts(notification))


def comment_body(notification: NotificationData) -> str:
    summary = notification.summary
    head = (
        f"**{notification.kind.replace('_', ' ')}** at escalation level {notification.level} "
        f"(severity {inline_code(summary.severity.value)}, {summary.count} occurrences)"
    )
    parts = [github_markdown.notification_line(notification_key(notification)), head]
    if notification.text:
        parts += ["", fenced(notification.text)]
    return cut("\n".join(parts), BODY_LIMIT)
