"""What a person's request becomes: a :class:`Command` on ``commands`` and its
:class:`AuditRecord` on ``audit``. Pure: the routes publish what these functions build.

Actions on an alert are the Slack buttons' (``ack``, ``snooze``, ``escalate``, ``resolve``,
``approve``, ``reject``, ``rollback``, ``create_issue``); ``approve``, ``reject`` and
``rollback`` are about an attempt, the alert's latest unless the request names one.

``POST /api/v1/resolve`` asks for a fix to run (:func:`resolve_plan`): an attempt awaiting
approval is approved; an attempt that failed, was rejected, expired or was rolled back is
retried. The resolver runs the strategy it decided for the attempt; a request naming another
strategy is refused, since a command cannot carry one (the ``Command`` v1 contract has no
strategy field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from services.api.projection import Alert
from shared.errors import AlertorchError
from shared.events import (
    Actor,
    AuditRecord,
    AuditRecordData,
    Command,
    CommandData,
    derived_event_id,
    new_event_id,
)

SOURCE: Final = "/alertorch/api"
AlertAction = Literal[
    "ack", "snooze", "escalate", "resolve", "approve", "reject", "rollback", "create_issue"
]
ALERT_ACTIONS: Final[tuple[AlertAction, ...]] = get_args(AlertAction)
ON_ATTEMPT: Final = ("approve", "reject", "rollback")
RETRYABLE: Final = ("failed", "rejected", "expired", "rolled_back")


class NotApplicable(AlertorchError):
    """The request cannot become a command in the alert's current state (HTTP 409)."""


@dataclass(frozen=True, kw_only=True)
class Request:
    """A person's request about one alert."""

    action: Literal[AlertAction, "retry"]
    actor: Actor
    attempt_id: str | None = None
    snooze_seconds: int | None = None
    reason: str | None = None


def command_id(token_id: str, idempotency_key: str | None) -> str:
    """A fresh id, or the same id for a repeated request with the same idempotency key."""
    if idempotency_key:
        return derived_event_id("api-request", token_id, idempotency_key)
    return new_event_id()


def attempt_for(action: str, alert: Alert, given: str | None) -> str | None:
    """The attempt an action is about; :class:`NotApplicable` when it needs one and has none."""
    if action not in ON_ATTEMPT:
        return given
    attempt = given or alert.attempt_id
    if attempt is None:
        raise NotApplicable(f"{action}: the alert has no resolution attempt")
    return attempt


def resolve_plan(alert: Alert, strategy: str | None) -> tuple[Literal["approve", "retry"], str]:
    """The command that runs a fix for ``alert`` now, and the attempt it is about."""
    status, attempt = alert.resolution_status, alert.attempt_id
    if attempt is None or status not in ("awaiting_approval", *RETRYABLE):
        raise NotApplicable(
            "nothing to run: the resolver runs a fix only for an attempt it decided, and this "
            f"alert has none awaiting approval or to retry (latest decision: {status or 'none'})"
        )
    if strategy and strategy != alert.resolution_strategy:
        raise NotApplicable(
            f"the alert's attempt uses strategy {alert.resolution_strategy!r}; running "
            f"{strategy!r} instead cannot be asked for through a command"
        )
    return ("approve" if status == "awaiting_approval" else "retry"), attempt


def command(request: Request, alert: Alert, *, event_id: str) -> Command:
    return Command(
        id=event_id,
        source=SOURCE,
        subject=alert.fingerprint,
        correlationid=alert.correlation_id or event_id,
        data=CommandData(
            fingerprint=alert.fingerprint,
            action=request.action,
            actor=request.actor,
            attempt_id=request.attempt_id,
            snooze_seconds=request.snooze_seconds,
            reason=request.reason,
        ),
    )


def audit(cmd: Command) -> AuditRecord:
    """The record that ``cmd`` was asked for, through the API, by its actor."""
    data = cmd.data
    return AuditRecord(
        id=derived_event_id(cmd.id, "audit", "api-request"),
        source=SOURCE,
        subject=data.fingerprint,
        correlationid=cmd.correlationid,
        data=AuditRecordData(
            fingerprint=data.fingerprint,
            actor=data.actor,
            action=f"request:{data.action}",
            target=data.attempt_id,
            outcome="succeeded",
            details={"command_id": cmd.id, **({"reason": data.reason} if data.reason else {})},
        ),
    )


def admin_audit(
    actor: Actor, action: str, target: str, *, event_id: str, details: dict[str, str]
) -> AuditRecord:
    """The record of an administrative action (tokens), under the pseudo-fingerprint
    ``console``."""
    return AuditRecord(
        id=derived_event_id(event_id, "audit", action),
        source=SOURCE,
        subject="console",
        correlationid=event_id,
        data=AuditRecordData(
            fingerprint="console",
            actor=actor,
            action=action,
            target=target,
            outcome="succeeded",
            details=details,
        ),
    )


def available(alert: Alert) -> list[AlertAction]:
    """The actions that apply to ``alert`` as it stands (the web page offers these)."""
    if alert.status == "resolved":
        return ["create_issue"]
    found: list[AlertAction] = [] if alert.status == "acknowledged" else ["ack"]
    found += ["snooze", "escalate", "resolve"]
    if alert.resolution_status == "awaiting_approval":
        found += ["approve", "reject"]
    if alert.resolution_status in ("verifying", "succeeded"):
        found.append("rollback")
    return [*found, "create_issue"]
