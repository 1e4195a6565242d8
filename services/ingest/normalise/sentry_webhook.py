"""Sentry integration-platform webhooks (``Sentry-Hook-Resource``) as ``RawError`` events.

- ``issue``: ``created`` and ``unresolved`` fire, ``resolved`` resolves; ``assigned``,
  ``ignored`` and ``archived`` change no error state and are acknowledged without an event.
- ``error`` (``created``) and ``event_alert`` (``triggered``): the event, keyed by its issue id.
- ``metric_alert``: ``critical`` and ``warning`` fire, ``resolved`` resolves; keyed by the incident.
- Any other resource (``installation``, ``comment``, ...) is acknowledged without an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from services.ingest.normalise.common import mapping, require_mapping, require_text, text
from services.ingest.normalise.sentry_event import event_to_raw
from services.ingest.normalise.sentry_issue import issue_to_raw
from shared.events import RawError, RawErrorData, Severity
from shared.fingerprint import fingerprint

ISSUE_FIRING: Final = frozenset({"created", "unresolved"})
METRIC_SEVERITY: Final = {
    "critical": Severity.CRITICAL,
    "warning": Severity.MEDIUM,
    "resolved": Severity.INFO,
}


@dataclass(frozen=True)
class WebhookResult:
    """The events a delivery stands for, or why it stands for none."""

    events: list[RawError] = field(default_factory=list)
    ignored: str | None = None


def webhook_to_events(
    resource: str, body: Mapping[str, Any], *, event_id: str, producer: str
) -> WebhookResult:
    action = text(body.get("action"), 64) or ""
    kind = f"{resource}.{action}" if action else resource
    data = require_mapping(body.get("data"), "data")
    if resource == "issue":
        status: Literal["firing", "resolved"]
        if action == "resolved":
            status = "resolved"
        elif action in ISSUE_FIRING:
            status = "firing"
        else:
            return WebhookResult(ignored=kind)
        event = issue_to_raw(
            data.get("issue"),
            origin="sentry_webhook",
            producer=producer,
            event_id=event_id,
            field="data.issue",
            status=status,
        )
        return WebhookResult([event])
    if resource in ("error", "event_alert"):
        key = "error" if resource == "error" else "event"
        return WebhookResult([_event(data, key, event_id=event_id, producer=producer)])
    if resource == "metric_alert":
        return WebhookResult([_metric_alert(data, action, event_id=event_id, producer=producer)])
    return WebhookResult(ignored=kind)


def _event(data: Mapping[str, Any], key: str, *, event_id: str, producer: str) -> RawError:
    event = require_mapping(data.get(key), f"data.{key}")
    extra = {}
    if rule := text(data.get("triggered_rule"), 1024):
        extra["triggered_rule"] = rule
    project = text(event.get("project"), 256) or "sentry"
    return event_to_raw(
        event,
        origin="sentry_webhook",
        producer=producer,
        event_id=event_id,
        project=project,
        issue_id=text(event.get("issue_id"), 128),
        extra_tags=extra,
    )


def _metric_alert(
    data: Mapping[str, Any], action: str, *, event_id: str, producer: str
) -> RawError:
    alert = require_mapping(data.get("metric_alert"), "data.metric_alert")
    incident = require_text(alert, "id", "data.metric_alert", limit=128)
    rule = mapping(alert.get("alert_rule"))
    org = text(alert.get("organization_id"), 128) or ""
    title = (
        text(rule.get("name"), 1000)
        or text(data.get("description_title"), 1000)
        or text(alert.get("title"), 1000)
        or f"Sentry metric alert {incident}"
    )
    dedup_key = f"metric_alert:{org}:{incident}"
    fp = fingerprint(kind="dedup_key", parts=["sentry", dedup_key])
    projects = alert.get("projects") or rule.get("projects")
    project = projects[0] if isinstance(projects, list) and projects else None
    tags = {"action": action} if action else {}
    if query := text(rule.get("query"), 1024):
        tags["query"] = query
    if aggregate := text(rule.get("aggregate"), 1024):
        tags["aggregate"] = aggregate
    payload = RawErrorData(
        fingerprint=fp,
        origin="sentry_webhook",
        title=title,
        message=text(data.get("description_text"), 32768),
        severity=METRIC_SEVERITY.get(action, Severity.HIGH),
        level=action or None,
        service=text(project, 256),
        environment=text(rule.get("environment"), 256),
        project=text(project, 256),
        url=text(data.get("web_url"), 2048),
        tags=tags,
        dedup_key=dedup_key,
        external_id=incident,
        status="resolved" if action == "resolved" else "firing",
    )
    return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=payload)
