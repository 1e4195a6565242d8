"""The data a template renders: a notification and its problem's root state, escaped.

Every string that comes from an error (title, text, service, ...) is escaped and cut here, so
templates (ours and users') cannot let it ping anyone or inject a link. ``mentions`` and
``acted_by`` are markup we build from configuration and Slack user ids; they are trusted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from services.notifier.slack.state import Root
from services.notifier.slack.text import safe
from shared.events import ErrorSummary, FixOutcome, NotificationData, Severity, Target

TITLE_LIMIT = 1000
TEXT_LIMIT = 2500
WORD_LIMIT = 200
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")

#: What the root card says about the problem after each kind of notification.
STATUS_BY_KIND: dict[str, str] = {
    "new_alert": "Open",
    "approval_request": "Waiting for approval",
    "resolution_started": "Fix running",
    "resolution_succeeded": "Fixed automatically",
    "resolution_failed": "Fix failed",
    "rolled_back": "Fix rolled back",
    "resolved": "Resolved",
}


def says_resolved(status: str) -> bool:
    """Whether a card's status line says its problem is over ("Resolved", "Resolved by …")."""
    return status.startswith(STATUS_BY_KIND["resolved"])


def status_after(kind: str, level: int, current: str, text: str = "") -> str:
    """The root card's status line; a resolution says by whom ("Resolved by source")."""
    if kind == "escalation":
        return f"Escalated to level {level}"
    if kind == "resolved" and text.startswith("resolved by "):
        return safe("R" + text[1:], WORD_LIMIT)
    return STATUS_BY_KIND.get(kind, current)


def link(url: str | None, label: str) -> str:
    """``<url|label>`` for a plain http(s) URL; nothing for anything that could break out."""
    if not url or not _SAFE_URL.match(url):
        return ""
    return f"<{url.replace('&', '&amp;')}|{label}>"


def summary_data(summary: ErrorSummary) -> dict[str, Any]:
    return {
        "title": safe(summary.headline, TITLE_LIMIT) or "(untitled)",
        "message": safe(summary.description, TEXT_LIMIT),
        "severity": summary.severity.value,
        "category": safe(summary.category, WORD_LIMIT),
        "service": safe(summary.service, WORD_LIMIT),
        "environment": safe(summary.environment, WORD_LIMIT),
        "impact_score": summary.impact_score,
        "trend": summary.trend or "",
        "url": link(summary.url, "Open in source"),
    }


def duration_text(seconds: float | None) -> str:
    """Seconds as people read them (``42``, ``1.5``); ``?`` when not known."""
    return "?" if seconds is None else f"{round(seconds, 1):g}"


def fix_data(fix: FixOutcome | None) -> dict[str, Any] | None:
    """How a fix ended (whether it worked, its strategy, seconds, error), escaped; None when
    the message is not a fix's outcome."""
    if fix is None:
        return None
    return {
        "succeeded": fix.succeeded,
        "action": safe(fix.action, WORD_LIMIT),
        "duration": duration_text(fix.duration_seconds),
        "error": safe(fix.error, TEXT_LIMIT),
    }


def message_data(
    notification: NotificationData,
    *,
    root: Root | None,
    mentions: str = "",
    coalesced: int = 0,
) -> dict[str, Any]:
    """Template data for ``notification``; ``root`` supplies count, status and who acted."""
    summary = notification.summary
    count = max(summary.count, root.count if root else 0)
    data = summary_data(summary)
    data.update(
        {
            "kind": notification.kind,
            "fingerprint": notification.fingerprint,
            "attempt_id": notification.attempt_id,
            "level": notification.level,
            "text": safe(notification.text, TEXT_LIMIT),
            "description": safe(notification.text, TEXT_LIMIT),
            "count": count,
            "count_text": f"{count:,}",
            "status": root.status if root else status_after(notification.kind, 0, "Open"),
            "acted_by": root.acted_by if root else "",
            "latest": root.latest if root else "",
            "mentions": mentions,
            "actions": list(notification.actions),
            "coalesced": coalesced,
            "fix": fix_data(notification.fix),
            "raw": {
                "title": summary.title,
                "message": summary.description,
                "text": notification.text,
                "service": summary.service,
                "environment": summary.environment,
                "category": summary.category,
                "url": summary.url,
            },
        }
    )
    return data


def root_data(root: Root) -> dict[str, Any]:
    """Template data for re-drawing a root card from what we stored."""
    notification = NotificationData(
        fingerprint=root.fingerprint,
        kind="new_alert",
        level=root.level,
        targets=[Target(type="slack", channel=root.channel)],
        summary=root.summary,
        actions=list(root.actions),
        attempt_id=root.attempt_id,
    )
    return message_data(notification, root=root)


def incident_data(roots: Sequence[Root], *, buttons: bool) -> dict[str, Any]:
    """Template data for an incident's card: its problems (``roots``, first posted first), each
    with its count and status, and the worst severity and all occurrences of them together.
    ``buttons``: whether each problem offers its Acknowledge button."""
    problems = []
    for root in roots:
        data = root_data(root)
        data["ack"] = buttons and "ack" in root.actions
        problems.append(data)
    worst = min((root.summary.severity for root in roots), key=list(Severity).index)
    total = sum(root.count for root in roots)
    first = problems[0]
    return {
        "kind": "incident",
        "incident": safe(roots[0].incident, WORD_LIMIT),
        "fingerprint": first["fingerprint"],
        "title": f"Incident: {len(roots):,} problems",
        "severity": worst.value,
        "service": first["service"],
        "environment": first["environment"],
        "count": total,
        "count_text": f"{total:,}",
        "problems": problems,
        "actions": [],
        "raw": {
            "title": roots[0].summary.title,
            "service": roots[0].summary.service,
            "incident": roots[0].incident,
        },
    }
