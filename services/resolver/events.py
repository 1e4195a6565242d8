"""Building the resolver's outputs: ``Resolution`` and ``AuditRecord`` events with ids derived
from what caused them, so a redelivery republishes the same ids."""

from __future__ import annotations

from typing import Any

from shared.events import (
    Actor,
    AuditOutcome,
    AuditRecord,
    AuditRecordData,
    ClassifiedErrorData,
    EnvelopeFields,
    ErrorSummary,
    Gate,
    Incident,
    IncidentRef,
    ProblemSignals,
    Resolution,
    ResolutionData,
    ResolutionStatus,
    SafetyLevel,
    derived_event_id,
)

SOURCE = "/alertorch/resolver"
SERVICE_ACTOR = Actor(kind="service", id="resolver", via="system")


def summary_of(data: ClassifiedErrorData) -> ErrorSummary:
    """What people are shown of ``data``; its message is the description unless it only repeats
    the title."""
    message = data.error.message
    return ErrorSummary(
        title=data.error.title,
        severity=data.severity,
        category=data.category,
        service=data.error.service,
        environment=data.error.environment,
        impact_score=data.impact_score,
        trend=data.trend,
        count=max(1, data.frequency.last_hour),
        url=data.error.url,
        pattern_id=data.pattern_id,
        description=message if message and message.strip() != data.error.title else None,
        incident=incident_ref(data.incident) if data.incident else None,
        signals=ProblemSignals(
            first_seen=data.frequency.first_seen,
            last_minute=data.frequency.last_minute,
            last_day=data.frequency.last_day,
            baseline_per_minute=data.frequency.baseline_per_minute,
            release_first_seen=data.release_first_seen,
        ),
    )


def incident_ref(incident: Incident) -> IncidentRef:
    joined = incident.joined_at or incident.started_at
    return IncidentRef(
        id=incident.id,
        problems=incident.problems,
        timespan_seconds=max(0.0, (joined - incident.started_at).total_seconds()),
    )


def _envelope(fingerprint: str, correlation_id: str, *id_parts: str) -> EnvelopeFields:
    """The envelope fields of a resolver event about ``fingerprint``; its id derives from
    ``id_parts`` (what made it, and which of its outputs this is)."""
    return {
        "id": derived_event_id(*id_parts),
        "source": SOURCE,
        "subject": fingerprint,
        "correlationid": correlation_id,
    }


def resolution(
    *,
    cause: str,
    correlation_id: str,
    fingerprint: str,
    status: ResolutionStatus,
    summary: dict[str, Any] | ErrorSummary,
    reason: str = "",
    attempt_id: str | None = None,
    strategy: str | None = None,
    safety_level: SafetyLevel | None = None,
    gate: Gate | None = None,
    dry_run: bool = False,
    actor: Actor | None = None,
    details: dict[str, Any] | None = None,
    duration_seconds: float | None = None,
) -> Resolution:
    """``cause`` is the id of what made this state change (event or attempt)."""
    return Resolution(
        **_envelope(fingerprint, correlation_id, cause, "resolution", status),
        data=ResolutionData(
            fingerprint=fingerprint,
            status=status,
            attempt_id=attempt_id,
            strategy=strategy,
            safety_level=safety_level,
            gate=gate,
            reason=reason[:4096],
            dry_run=dry_run,
            actor=actor,
            summary=ErrorSummary.model_validate(summary),
            details=details or {},
            duration_seconds=duration_seconds,
        ),
    )


def audit(
    *,
    cause: str,
    correlation_id: str,
    fingerprint: str,
    action: str,
    outcome: AuditOutcome,
    actor: Actor = SERVICE_ACTOR,
    target: str | None = None,
    dry_run: bool = False,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        **_envelope(fingerprint, correlation_id, cause, "audit", action, str(outcome)),
        data=AuditRecordData(
            fingerprint=fingerprint,
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            dry_run=dry_run,
            details=details or {},
        ),
    )
