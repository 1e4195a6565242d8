"""The console's projection as pure logic: events in any order fold into the same alert; the
timeline line of each kind of event. The event builders here serve the console's other tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from services.api import projection
from services.api.projection import Alert
from shared.events import (
    Actor,
    AuditRecord,
    AuditRecordData,
    ClassifiedError,
    ClassifiedErrorData,
    Command,
    CommandData,
    Envelope,
    ErrorSummary,
    Frequency,
    Notification,
    NotificationData,
    RawErrorData,
    Resolution,
    ResolutionData,
    Severity,
    Target,
    derived_event_id,
)

T0 = 1_000_000_000.0  # 2001-09-09: far from any other test's events
SLACK_USER = Actor(kind="user", id="U0001", name="ada", via="slack")


def _time(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _envelope(fp: str, at: float, event_id: str | None) -> dict[str, object]:
    eid = event_id or derived_event_id(fp, str(at), str(next(_COUNTER)))
    return {
        "id": eid,
        "source": "/test",
        "subject": fp,
        "correlationid": f"corr-{fp}",
        "time": _time(at),
    }


_COUNTER = itertools.count()


def classified(
    fp: str,
    *,
    at: float,
    title: str = "Database connection refused",
    category: str = "database",
    severity: str = "high",
    service: str = "checkout",
    count: int = 1,
    pattern_id: str | None = "tpl_db",
    event_id: str | None = None,
) -> ClassifiedError:
    return ClassifiedError(
        **_envelope(fp, at, event_id),
        data=ClassifiedErrorData(
            fingerprint=fp,
            error=RawErrorData(
                fingerprint=fp,
                origin="custom",
                title=title,
                severity=Severity(severity),
                service=service,
                environment="production",
                count=count,
            ),
            category=category,
            confidence=0.9,
            severity=Severity(severity),
            template=f"{title} <*>" if pattern_id else None,
            pattern_id=pattern_id,
            impact_score=50,
            trend="new",
            frequency=Frequency(last_minute=1, last_hour=1, last_day=1),
        ),
    )


def _summary(title: str = "Database connection refused") -> ErrorSummary:
    return ErrorSummary(title=title, severity=Severity.HIGH, category="database")


def resolution(
    fp: str,
    *,
    at: float,
    status: str,
    attempt_id: str | None = None,
    strategy: str | None = None,
    event_id: str | None = None,
) -> Resolution:
    return Resolution(
        **_envelope(fp, at, event_id),
        data=ResolutionData.model_validate(
            {
                "fingerprint": fp,
                "status": status,
                "attempt_id": attempt_id,
                "strategy": strategy,
                "reason": f"{status} for the test",
                "summary": _summary().model_dump(),
            }
        ),
    )


def notification(
    fp: str,
    *,
    at: float,
    kind: str = "new_alert",
    level: int = 0,
    targets: Sequence[str] = ("console",),
    event_id: str | None = None,
) -> Notification:
    return Notification(
        **_envelope(fp, at, event_id),
        data=NotificationData.model_validate(
            {
                "fingerprint": fp,
                "kind": kind,
                "level": level,
                "targets": [Target(type=t).model_dump() for t in targets],
                "summary": _summary().model_dump(),
                "text": f"{kind} for the test",
            }
        ),
    )


def command(
    fp: str,
    *,
    at: float,
    action: str,
    actor: Actor = SLACK_USER,
    snooze_seconds: int | None = None,
    event_id: str | None = None,
) -> Command:
    return Command(
        **_envelope(fp, at, event_id),
        data=CommandData.model_validate(
            {
                "fingerprint": fp,
                "action": action,
                "actor": actor.model_dump(),
                "snooze_seconds": snooze_seconds,
            }
        ),
    )


def audit(fp: str, *, at: float, action: str, event_id: str | None = None) -> AuditRecord:
    return AuditRecord(
        **_envelope(fp, at, event_id),
        data=AuditRecordData(fingerprint=fp, actor=SLACK_USER, action=action, outcome="succeeded"),
    )


def fold(events: Sequence[Envelope], fp: str = "fp") -> Alert:
    alert = Alert(fingerprint=fp)
    for event in events:
        alert = projection.apply(alert, event)
    return alert


def _story(fp: str = "fp") -> list[Envelope]:
    return [
        classified(fp, at=T0, count=3),
        resolution(fp, at=T0 + 5, status="awaiting_approval", attempt_id="a1", strategy="restart"),
        notification(fp, at=T0 + 10),
        command(fp, at=T0 + 60, action="ack"),
        classified(fp, at=T0 + 90, title="Database connection refused again", severity="critical"),
        notification(fp, at=T0 + 80, kind="escalation", level=2),
    ]


def test_a_problem_s_story_folds_into_its_row() -> None:
    alert = fold(_story())
    assert alert.title == "Database connection refused again"
    assert alert.severity == "critical"
    assert alert.severity_rank == projection.SEVERITY_RANK["critical"]
    assert (alert.occurrences, alert.events) == (4, 2)
    assert (alert.first_seen, alert.last_seen) == (T0, T0 + 90)
    assert alert.status == "acknowledged"
    assert (alert.acked_at, alert.acked_by) == (T0 + 60, "ada")
    assert alert.first_notified_at == T0 + 10
    assert (alert.level, alert.escalations) == (2, 1)
    assert (alert.resolution_status, alert.resolution_strategy, alert.attempt_id) == (
        "awaiting_approval",
        "restart",
        "a1",
    )
    assert alert.pattern_id == "tpl_db"
    assert alert.correlation_id == "corr-fp"


def test_the_order_of_arrival_does_not_change_the_row() -> None:
    story = _story()
    expected = fold(story)
    for shuffled in (list(reversed(story)), story[3:] + story[:3], story[1::2] + story[::2]):
        assert fold(shuffled) == expected


def test_a_resolved_problem_reopens_on_a_newer_occurrence_only() -> None:
    resolved = fold([classified("fp", at=T0), notification("fp", at=T0 + 100, kind="resolved")])
    assert (resolved.status, resolved.resolved_at) == ("resolved", T0 + 100)
    older = projection.apply(resolved, classified("fp", at=T0 + 50))
    assert older.status == "resolved"
    newer = projection.apply(resolved, classified("fp", at=T0 + 200))
    assert (newer.status, newer.resolved_at) == ("open", T0 + 100)


def test_snooze_and_ack_rules() -> None:
    opened = fold([classified("fp", at=T0)])
    snoozed = projection.apply(
        opened, command("fp", at=T0 + 10, action="snooze", snooze_seconds=60)
    )
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", T0 + 70)
    acked = projection.apply(snoozed, command("fp", at=T0 + 20, action="ack"))
    assert (acked.status, acked.snoozed_until) == ("acknowledged", None)
    # an acknowledged problem is not snoozed; resolve and escalate wait for the notifier's word
    for action in ("snooze", "resolve", "escalate", "approve"):
        assert projection.apply(acked, command("fp", at=T0 + 30, action=action)) == acked


def test_a_source_resolution_resolves_and_audit_records_leave_the_row() -> None:
    opened = fold([classified("fp", at=T0)])
    done = projection.apply(opened, resolution("fp", at=T0 + 9, status="resolved_by_source"))
    assert (done.status, done.resolved_at, done.resolution_status) == (
        "resolved",
        T0 + 9,
        "resolved_by_source",
    )
    assert not projection.affects_alert(audit("fp", at=T0, action="x"))
    assert projection.apply(done, audit("fp", at=T0 + 99, action="x")) == done


def test_timeline_lines_name_kind_and_actor() -> None:
    lines = {
        projection.entry(event).kind: projection.entry(event)
        for event in [
            classified("fp", at=T0, count=2),
            resolution("fp", at=T0, status="failed", strategy="restart"),
            notification("fp", at=T0, targets=("console", "slack")),
            command("fp", at=T0, action="ack"),
            audit("fp", at=T0, action="execute"),
        ]
    }
    assert set(lines) == {"occurrence", "decision", "notification", "command", "audit"}
    assert "(x2)" in lines["occurrence"].summary
    assert lines["decision"].summary.startswith("failed restart")
    assert lines["notification"].summary == "new_alert (level 0) to console, slack"
    assert lines["command"].actor == "ada (slack)"
    assert lines["audit"].summary == "execute: succeeded (ada (slack))"


def test_console_notifications_are_marked() -> None:
    assert projection.notification_row(notification("fp", at=T0))["console"] is True
    assert (
        projection.notification_row(notification("fp", at=T0, targets=("slack",)))["console"]
        is False
    )


def test_a_change_to_a_field_the_row_lacks_is_refused() -> None:
    with pytest.raises(TypeError, match="no field nope"):
        projection._changed(Alert(fingerprint="fp"), nope=1)
