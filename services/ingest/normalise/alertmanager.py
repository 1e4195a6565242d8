"""Prometheus Alertmanager webhook (payload version 4) as ``RawError`` events, one per alert.

The alert's ``fingerprint`` is the grouping key. Unknown keys are ignored (newer Alertmanagers
add ``truncatedAlerts``, ``notification_reason``, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationError

from services.ingest.errors import InvalidPayload
from services.ingest.normalise.common import parse_time, severity, tags, text
from shared.events import (
    RawError,
    RawErrorData,
    Severity,
    derived_event_id,
    describe_validation_error,
)
from shared.fingerprint import fingerprint
from shared.models import FrozenModel


class Alert(FrozenModel):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str = Field(min_length=1, max_length=256)


class Payload(FrozenModel):
    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    externalURL: str | None = None
    alerts: list[Alert] = Field(min_length=1, max_length=1000)


def parse_payload(body: Any) -> Payload:
    try:
        return Payload.model_validate(body)
    except ValidationError as exc:
        raise InvalidPayload(
            "not an Alertmanager webhook (version 4) payload",
            details=describe_validation_error(exc),
        ) from None


def alert_to_raw(alert: Alert, payload: Payload, *, producer: str) -> RawError:
    labels = alert.labels
    annotations = alert.annotations
    fp = fingerprint(kind="alertmanager", parts=[alert.fingerprint])
    starts = alert.startsAt.isoformat() if alert.startsAt else ""
    ended = parse_time(alert.endsAt)
    # The same alert in the same state is the same event on every re-send.
    event_id = derived_event_id("alertmanager", alert.fingerprint, alert.status, starts)
    title = (
        text(annotations.get("summary"), 1000)
        or text(labels.get("alertname"), 1000)
        or f"Alertmanager alert {alert.fingerprint}"
    )
    data = RawErrorData(
        fingerprint=fp,
        origin="alertmanager",
        title=title,
        message=text(annotations.get("description") or annotations.get("message"), 32768),
        severity=severity(labels.get("severity"), Severity.HIGH),
        level=text(labels.get("severity"), 64),
        service=text(labels.get("service") or labels.get("job"), 256),
        environment=text(labels.get("environment") or labels.get("env"), 256),
        url=text(alert.generatorURL, 2048) or text(payload.externalURL, 2048),
        tags={**tags(labels), **({"receiver": payload.receiver} if payload.receiver else {})},
        external_id=alert.fingerprint,
        first_seen=alert.startsAt,
        last_seen=ended if alert.status == "resolved" else None,
        status=alert.status,
    )
    return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=data)


def alertmanager_to_events(body: Any, *, producer: str) -> list[RawError]:
    """One event per distinct alert: an alert listed twice in one group (the same fingerprint,
    status and start) is one event, so the answer's ``accepted`` is what reaches the topic."""
    payload = parse_payload(body)
    distinct: dict[str, RawError] = {}
    for alert in payload.alerts:
        event = alert_to_raw(alert, payload, producer=producer)
        distinct.setdefault(event.id, event)
    return list(distinct.values())
