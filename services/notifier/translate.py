"""A policy decision to send becomes a ``Notification`` event. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from services.notifier.policy.decisions import ALERT_BUTTONS, Notify
from services.notifier.policy.state import AlertState
from shared.events import (
    ButtonAction,
    FixOutcome,
    Notification,
    NotificationData,
    NotificationKind,
    ResolutionData,
    ResolutionStatus,
    Target,
    derived_event_id,
)

SOURCE = "/alertorch/notifier/policy"

#: Buttons a resolver state adds, acting on its attempt.
ATTEMPT_BUTTONS: dict[str, tuple[ButtonAction, ...]] = {
    "awaiting_approval": ("approve", "reject"),
    "verifying": ("rollback",),
    "succeeded": ("rollback",),
    "failed": ("rollback",),
}


#: What automatic fixes tell: also posted to ``slack.notification_channels.resolutions``.
FIX_KINDS: frozenset[NotificationKind] = frozenset(
    {
        "approval_request",
        "resolution_started",
        "resolution_succeeded",
        "resolution_failed",
        "rolled_back",
    }
)

#: A problem a fix resolved: its close is news of the fix too.
FIXED = ("resolved", "succeeded")


def fix_outcome(data: ResolutionData) -> FixOutcome | None:
    """How the fix of a ``succeeded`` or ``failed`` resolver event ended; None for others."""
    if data.status not in ("succeeded", "failed"):
        return None
    return FixOutcome(
        succeeded=data.status == "succeeded",
        action=(data.strategy or "")[:256],
        duration_seconds=data.duration_seconds,
        error=data.reason if data.status == "failed" else "",
    )


def tells_outcome(kind: NotificationKind, resolver_status: ResolutionStatus | None) -> bool:
    """Whether a notification of ``kind`` tells how a fix ended: its success or failure, or the
    close its success brought."""
    if kind in ("resolution_succeeded", "resolution_failed"):
        return True
    return (kind, resolver_status) == FIXED


def notification_id(token: str) -> str:
    return derived_event_id("notification", token)


def delivered_to(
    decision: Notify,
    *,
    resolver_status: ResolutionStatus | None,
    resolutions_channel: str,
    trackers: Sequence[Target] = (),
) -> list[Target]:
    """Where ``decision`` goes: its targets; ``resolutions_channel``
    (``slack.notification_channels.resolutions``) for a fix's news about a problem told in
    Slack, up to the close the fix brought; and the issue ``trackers`` told of every close (an
    issue the Create issue button opened is closed too; a tracker with no issue for the problem
    does nothing)."""
    targets = list(decision.targets)
    if decision.kind == "resolved":
        targets += [t for t in trackers if t not in targets]
    extra = Target(type="slack", channel=resolutions_channel)
    if (
        resolutions_channel
        and (decision.kind in FIX_KINDS or (decision.kind, resolver_status) == FIXED)
        and any(t.type == "slack" for t in targets)
        and extra not in targets
    ):
        targets.append(extra)
    return targets


def to_event(
    decision: Notify,
    state: AlertState | None,
    *,
    correlation_id: str,
    attempt_id: str | None = None,
    resolver_status: ResolutionStatus | None = None,
    include_actions: bool = False,
    resolutions_channel: str = "",
    trackers: Sequence[Target] = (),
    fix: FixOutcome | None = None,
) -> Notification:
    """``include_actions`` (``slack.message_settings.include_actions``) gives every alert and
    escalation the alert buttons, whether or not its level asks for them. Targets: see
    :func:`delivered_to`. ``fix`` (see :func:`fix_outcome`) goes on the notification that tells
    the fix's outcome."""
    buttons: list[ButtonAction] = list(decision.buttons)
    if include_actions and decision.kind in ("new_alert", "escalation"):
        buttons += [b for b in ALERT_BUTTONS if b not in buttons]
    if decision.kind in ("new_alert", "escalation") and "create_issue" not in buttons:
        buttons.append("create_issue")
    if attempt_id and resolver_status:
        buttons += [b for b in ATTEMPT_BUTTONS.get(resolver_status, ()) if b not in buttons]
    targets = delivered_to(
        decision,
        resolver_status=resolver_status,
        resolutions_channel=resolutions_channel,
        trackers=trackers,
    )
    summary = state.summary if state is not None else None
    assert summary is not None, "a notification needs the alert's summary"
    return Notification(
        id=notification_id(decision.token),
        source=SOURCE,
        subject=decision.fingerprint,
        correlationid=correlation_id,
        data=NotificationData(
            fingerprint=decision.fingerprint,
            kind=decision.kind,
            level=decision.level,
            targets=targets,
            summary=summary,
            text=decision.reason[:8192],
            actions=buttons,
            attempt_id=attempt_id if attempt_id and resolver_status else None,
            fix=fix if tells_outcome(decision.kind, resolver_status) else None,
        ),
    )
