"""PagerDuty Events API v2 bodies built from our notifications (pure, no I/O).

Which event a notification becomes:

- ``new_alert`` and ``escalation`` → ``trigger`` (PagerDuty groups repeated triggers with one
  ``dedup_key`` into the open incident);
- ``update`` whose text starts with "acknowledged" (what the policy sends PagerDuty when someone
  acknowledges) → ``acknowledge``;
- ``resolved`` → ``resolve``;
- anything else → no event: PagerDuty has nothing to do with it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from shared.events import NotificationData, Severity, Target

EventAction = Literal["trigger", "acknowledge", "resolve"]
PagerDutySeverity = Literal["critical", "error", "warning", "info"]

#: The policy's acknowledgement update starts its text with this word.
ACK_PREFIX = "acknowledged"
#: Mentions the escalation policy adds for a ``phone_call`` action: ``phone:<recipient>``.
PHONE_PREFIX = "phone:"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
SOURCE_LIMIT = 255

SEVERITIES: dict[Severity, PagerDutySeverity] = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "info",
    Severity.INFO: "info",
}


def event_action(notification: NotificationData) -> EventAction | None:
    """The Events API action for ``notification``, or ``None`` when there is none."""
    if notification.kind in ("new_alert", "escalation"):
        return "trigger"
    if notification.kind == "resolved":
        return "resolve"
    if notification.kind == "update" and notification.text.strip().lower().startswith(ACK_PREFIX):
        return "acknowledge"
    return None


def dedup_key(fingerprint: str) -> str:
    """The fingerprint; one past PagerDuty's 255 characters becomes its SHA-256 (stable)."""
    if len(fingerprint) <= DEDUP_KEY_LIMIT:
        return fingerprint
    return "sha256:" + hashlib.sha256(fingerprint.encode()).hexdigest()


def phone_recipients(target: Target) -> list[str]:
    return [m[len(PHONE_PREFIX) :] for m in target.mentions if m.startswith(PHONE_PREFIX)]


def severity(notification: NotificationData, target: Target) -> PagerDutySeverity:
    """Ours mapped to PagerDuty's; a phone call is always ``critical`` (high urgency)."""
    if phone_recipients(target):
        return "critical"
    return SEVERITIES[notification.summary.severity]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_event(
    notification: NotificationData,
    target: Target,
    *,
    routing_key: str,
    action: EventAction,
    default_source: str,
) -> dict[str, Any]:
    """The request body for ``action``; only triggers carry a payload."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": dedup_key(notification.fingerprint),
    }
    if action != "trigger":
        return event
    summary = notification.summary
    title = f"[{summary.severity.value}] {summary.headline}".strip()
    if summary.environment:
        title += f" ({summary.environment})"
    details: dict[str, Any] = {
        "fingerprint": notification.fingerprint,
        "notification": notification.kind,
        "escalation_level": notification.level,
        "severity": summary.severity.value,
        "occurrences": summary.count,
    }
    optional = {
        "environment": summary.environment,
        "category": summary.category,
        "service": summary.service,
        "impact_score": summary.impact_score,
        "trend": summary.trend,
        "text": notification.text or None,
        "attempt_id": notification.attempt_id,
    }
    details.update({k: v for k, v in optional.items() if v is not None})
    if calls := phone_recipients(target):
        details["phone_call"] = calls
    payload: dict[str, Any] = {
        "summary": _cut(title, SUMMARY_LIMIT),
        "source": _cut(summary.service or default_source, SOURCE_LIMIT),
        "severity": severity(notification, target),
        "custom_details": details,
    }
    if summary.service:
        payload["component"] = summary.service
    if summary.environment:
        payload["group"] = summary.environment
    if summary.category:
        payload["class"] = summary.category
    event["payload"] = payload
    event["client"] = "alertorch"
    if summary.url:
        event["client_url"] = summary.url
        event["links"] = [{"href": summary.url, "text": "Error details"}]
    return event
