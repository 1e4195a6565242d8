"""How events change the console's view of a problem: pure functions, no I/O.

:func:`apply` folds one event into an :class:`Alert`. Events of different topics are read by
different consumers and may arrive in any order, so every rule compares event times rather than
arrival order:

1. What the problem is (title, severity, service, ...) comes from the newest event describing
   it (a classification, a decision or a notification); category, pattern and template from
   the classifications (from the others only while there is none). ``first_seen`` is the
   earliest such event, ``last_seen`` the newest occurrence.
2. Status moves only forward in time: an event older than the last status change leaves it.
   A classification opens the problem (and reopens it when it comes after a resolution); ``ack``
   acknowledges an unresolved problem; ``snooze`` snoozes an open one; a ``resolved``
   notification or a ``resolved_by_source`` decision resolves it. ``resolve``, ``escalate`` and
   the resolver's commands change nothing here: their effect arrives as the notifier's and the
   resolver's own events.
3. The first notification, the first acknowledgement and the first resolution are kept (the
   earliest time wins, whatever the status did): response time, MTTA and MTTR are measured
   from them.

Rule 3 gives the same row in any order of arrival. Rules 1 and 2 do as long as nothing arrives
after a newer event it conflicts with: an ``ack`` older than a resolution that arrived first
is kept as the first acknowledgement but leaves the problem resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Final

from shared.events import (
    REPORT_KINDS,
    Actor,
    AuditRecord,
    ClassifiedError,
    Command,
    Envelope,
    ErrorSummary,
    Notification,
    Resolution,
)

#: Severity to a number that sorts from the least to the most severe.
SEVERITY_RANK: Final = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
DEFAULT_SNOOZE_SECONDS: Final = 3600
RESOLVED_BY_SOURCE: Final = "resolved_by_source"


@dataclass(frozen=True, kw_only=True)
class Alert:
    """The console's row for one fingerprint (the columns of ``api_alerts``)."""

    fingerprint: str
    title: str | None = None
    severity: str | None = None
    severity_rank: int | None = None
    category: str | None = None
    service: str | None = None
    environment: str | None = None
    pattern_id: str | None = None
    template: str | None = None
    impact_score: int | None = None
    trend: str | None = None
    url: str | None = None
    summary_at: float | None = None
    occurrences: int = 0
    events: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    status: str | None = None
    status_at: float | None = None
    level: int = 0
    level_at: float | None = None
    escalations: int = 0
    resolution_status: str | None = None
    resolution_strategy: str | None = None
    attempt_id: str | None = None
    resolution_at: float | None = None
    correlation_id: str | None = None
    first_notified_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    snoozed_until: float | None = None
    resolved_at: float | None = None
    latest_notification_id: str | None = None
    latest_notification_at: float | None = None

    def row(self) -> dict[str, Any]:
        # Every field is a scalar, so a shallow copy is the row (asdict deep-copies each value:
        # about 55 µs an alert here, on the path of every event the console reads).
        return dict(vars(self))

    @classmethod
    def of_row(cls, row: Any) -> Alert:
        return cls(**dict(row._mapping))


_ALERT_FIELDS: Final = frozenset(f.name for f in fields(Alert))


def _changed(alert: Alert, **changes: Any) -> Alert:
    """``alert`` with ``changes``: ``dataclasses.replace`` without running ``__init__`` again,
    which sets each of the row's forty fields one by one (the console folds every event it reads
    with a few of these). The fields are plain values, so the new row shares the rest."""
    if unknown := changes.keys() - _ALERT_FIELDS:
        raise TypeError(f"Alert has no field {', '.join(sorted(unknown))}")
    changed = object.__new__(Alert)
    changed.__dict__.update(alert.__dict__, **changes)
    return changed


@dataclass(frozen=True, kw_only=True)
class TimelineEntry:
    """One event on a problem's timeline (the columns of ``api_timeline``)."""

    event_id: str
    fingerprint: str
    at: float
    kind: str
    actor: str | None
    summary: str
    body: str

    def row(self) -> dict[str, Any]:
        return dict(vars(self))  # scalars only, as Alert's


def _earliest(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


def _latest(a: float | None, b: float) -> float:
    return b if a is None else max(a, b)


def _newer(at: float, than: float | None) -> bool:
    return than is None or at >= than


def who(actor: Actor | None) -> str | None:
    if actor is None:
        return None
    return f"{actor.name or actor.id} ({actor.via})"


def _describe(
    alert: Alert, summary: ErrorSummary, at: float, *, classification: bool = False
) -> Alert:
    """Rule 1 for an event carrying an :class:`ErrorSummary`; the category is the analyzer's
    once a classification arrived."""
    alert = _changed(
        alert,
        first_seen=_earliest(alert.first_seen, at),
        last_seen=alert.last_seen if alert.last_seen is not None else at,
    )
    if alert.title is not None and not _newer(at, alert.summary_at):
        return alert
    return _changed(
        alert,
        title=summary.title,
        severity=summary.severity.value,
        severity_rank=SEVERITY_RANK[summary.severity.value],
        category=(
            summary.category or alert.category
            if classification or alert.events == 0
            else alert.category
        ),
        service=summary.service or alert.service,
        environment=summary.environment or alert.environment,
        impact_score=(
            summary.impact_score if summary.impact_score is not None else alert.impact_score
        ),
        trend=summary.trend or alert.trend,
        url=summary.url or alert.url,
        summary_at=at,
    )


def _status(alert: Alert, status: str, at: float, **more: Any) -> Alert:
    """Rule 2: a status change by an event at ``at``, unless a newer change happened."""
    if not _newer(at, alert.status_at):
        return alert
    return _changed(alert, status=status, status_at=at, **more)


def _opened(alert: Alert, at: float) -> Alert:
    """A problem is open from its first event on, whatever time that event has (so an older
    event arriving later still applies); it reopens on an occurrence after its resolution."""
    if alert.status is None:
        return _changed(alert, status="open")
    if alert.status == "resolved" and _newer(at, alert.status_at):
        return _status(alert, "open", at, snoozed_until=None)
    return alert


def _classified(alert: Alert, event: ClassifiedError, at: float) -> Alert:
    data = event.data
    error = data.error
    summary = ErrorSummary(
        title=error.title,
        severity=data.severity,
        category=data.category,
        service=error.service,
        environment=error.environment,
        impact_score=data.impact_score,
        trend=data.trend,
        url=error.url,
    )
    newest = _newer(at, alert.summary_at)
    first = alert.events == 0
    alert = _describe(alert, summary, at, classification=True)
    if newest or first:
        alert = _changed(
            alert,
            category=data.category,
            pattern_id=data.pattern_id or alert.pattern_id,
            template=data.template or alert.template,
        )
    alert = _changed(
        alert,
        occurrences=alert.occurrences + error.count,
        events=alert.events + 1,
        last_seen=at if alert.events == 0 else _latest(alert.last_seen, at),
        correlation_id=alert.correlation_id or event.correlationid,
    )
    return _opened(alert, at)


def _resolution(alert: Alert, event: Resolution, at: float) -> Alert:
    data = event.data
    alert = _opened(_describe(alert, data.summary, at), at)
    if _newer(at, alert.resolution_at):
        alert = _changed(
            alert,
            resolution_status=data.status,
            resolution_strategy=data.strategy or alert.resolution_strategy,
            attempt_id=data.attempt_id or alert.attempt_id,
            resolution_at=at,
        )
    if data.status == RESOLVED_BY_SOURCE:
        alert = _resolved(alert, at)
    return _changed(alert, correlation_id=alert.correlation_id or event.correlationid)


def _resolved(alert: Alert, at: float) -> Alert:
    return _status(_changed(alert, resolved_at=_earliest(alert.resolved_at, at)), "resolved", at)


def _notification(alert: Alert, event: Notification, at: float) -> Alert:
    data = event.data
    alert = _opened(_describe(alert, data.summary, at), at)
    alert = _changed(
        alert,
        first_notified_at=_earliest(alert.first_notified_at, at),
        escalations=alert.escalations + (1 if data.kind == "escalation" else 0),
        correlation_id=alert.correlation_id or event.correlationid,
    )
    if _newer(at, alert.level_at):
        alert = _changed(alert, level=data.level, level_at=at)
    if _newer(at, alert.latest_notification_at):
        alert = _changed(alert, latest_notification_id=event.id, latest_notification_at=at)
    if data.kind == "resolved":
        alert = _resolved(alert, at)
    return alert


def _command(alert: Alert, event: Command, at: float) -> Alert:
    data = event.data
    if data.action == "ack":
        if alert.acked_at is None or at < alert.acked_at:
            alert = _changed(alert, acked_at=at, acked_by=data.actor.name or data.actor.id)
        if alert.status == "resolved":
            return alert
        return _status(alert, "acknowledged", at, snoozed_until=None)
    if data.action == "snooze" and alert.status in (None, "open", "snoozed"):
        seconds = data.snooze_seconds or DEFAULT_SNOOZE_SECONDS
        return _status(alert, "snoozed", at, snoozed_until=at + seconds)
    return alert


def affects_alert(event: Envelope) -> bool:
    """Whether ``event`` changes its problem's row (audit records and scheduled reports only
    join the timeline)."""
    if isinstance(event, Notification):
        return event.data.kind not in REPORT_KINDS
    return isinstance(event, ClassifiedError | Resolution | Command)


def apply(alert: Alert, event: Envelope) -> Alert:
    """``alert`` after ``event`` (see the module's rules)."""
    at = event.time.timestamp()
    if isinstance(event, ClassifiedError):
        return _classified(alert, event, at)
    if isinstance(event, Resolution):
        return _resolution(alert, event, at)
    if isinstance(event, Notification):
        return _notification(alert, event, at)
    if isinstance(event, Command):
        return _command(alert, event, at)
    return alert


def _line(event: Envelope) -> tuple[str, str | None, str]:
    """The kind, actor and one-line summary of an event on the timeline."""
    if isinstance(event, ClassifiedError):
        data = event.data
        count = f" (x{data.error.count})" if data.error.count > 1 else ""
        text = f"{data.error.title}{count} — {data.category}, {data.severity.value}"
        return "occurrence", None, text
    if isinstance(event, Resolution):
        r = event.data
        text = r.status + (f" {r.strategy}" if r.strategy else "")
        text += f": {r.reason}" if r.reason else ""
        return "decision", who(r.actor), text
    if isinstance(event, Notification):
        n = event.data
        targets = ", ".join(t.type for t in n.targets)
        if n.kind in REPORT_KINDS:
            return "report", None, f"{n.summary.title} to {targets}"
        return "notification", None, f"{n.kind} (level {n.level}) to {targets}"
    if isinstance(event, Command):
        c = event.data
        extra = f" {c.attempt_id}" if c.attempt_id else ""
        return "command", who(c.actor), f"{c.action}{extra} requested by {who(c.actor)}"
    if isinstance(event, AuditRecord):
        a = event.data
        target = f" {a.target}" if a.target else ""
        return "audit", who(a.actor), f"{a.action}{target}: {a.outcome} ({who(a.actor)})"
    return "event", None, event.type


def entry(event: Envelope) -> TimelineEntry:
    """The timeline row of ``event``; its body is the event's payload as JSON."""
    kind, actor, summary = _line(event)
    return TimelineEntry(
        event_id=event.id,
        fingerprint=event.data.fingerprint,
        at=event.time.timestamp(),
        kind=kind,
        actor=actor,
        summary=summary[:2000],
        body=event.data.model_dump_json(exclude_none=True),
    )


def resolution_row(event: Resolution) -> dict[str, Any]:
    r = event.data
    return {
        "event_id": event.id,
        "fingerprint": r.fingerprint,
        "at": event.time.timestamp(),
        "status": r.status,
        "strategy": r.strategy,
        "attempt_id": r.attempt_id,
        "safety_level": r.safety_level,
        "gate": r.gate,
        "reason": r.reason,
        "dry_run": r.dry_run,
        "actor": who(r.actor),
        "title": r.summary.title,
        "severity": r.summary.severity.value,
    }


def notification_row(event: Notification) -> dict[str, Any]:
    n = event.data
    return {
        "event_id": event.id,
        "fingerprint": n.fingerprint,
        "at": event.time.timestamp(),
        "kind": n.kind,
        "level": n.level,
        "targets": json.dumps([t.model_dump(mode="json", exclude_none=True) for t in n.targets]),
        "console": any(t.type == "console" for t in n.targets),
        "title": n.summary.title,
        "severity": n.summary.severity.value,
        "text": n.text,
        "actions": json.dumps(list(n.actions)),
        "attempt_id": n.attempt_id,
    }
