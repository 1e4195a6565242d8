"""``notifications``: what to tell whom, delivered by the notifier to each target."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.events.common import ErrorSummary
from shared.events.envelope import Envelope
from shared.models import FrozenModel

NotificationKind = Literal[
    "new_alert",
    "update",
    "digest",
    "approval_request",
    "resolution_started",
    "resolution_succeeded",
    "resolution_failed",
    "rolled_back",
    "escalation",
    "resolved",
    # scheduled summaries from the console (not about one problem; fingerprint names the period)
    "metrics_report",
    "system_health",
]

#: Scheduled summaries: delivered as they are, never about one problem's alert.
REPORT_KINDS: frozenset[NotificationKind] = frozenset({"metrics_report", "system_health"})

ButtonAction = Literal[
    "ack",
    "approve",
    "reject",
    "rollback",
    "snooze",
    "silence",
    "escalate",
    "resolve",
    "create_issue",
]


class Target(FrozenModel):
    """One place to deliver to. ``type`` names a built-in target or a registered integration."""

    type: str = Field(min_length=1, max_length=64, description="slack, pagerduty, github, ...")
    channel: str | None = Field(default=None, description="Slack channel, e-mail address, ...")
    mentions: list[str] = Field(default_factory=list)


class FixOutcome(FrozenModel):
    """How an automatic fix ended: on ``resolution_succeeded``, ``resolution_failed``, and on
    ``resolved`` when the fix's success closed the problem."""

    succeeded: bool
    action: str = Field(max_length=256, description="The strategy that ran.")
    duration_seconds: float | None = Field(
        default=None, ge=0, description="From the start of its execution to its outcome."
    )
    error: str = Field(default="", max_length=4096, description="Why it failed; empty if not.")


class NotificationData(FrozenModel):
    fingerprint: str = Field(min_length=1, max_length=256)
    kind: NotificationKind
    level: int = Field(default=0, ge=0, le=9, description="Escalation level.")
    targets: list[Target] = Field(min_length=1)
    summary: ErrorSummary
    text: str = Field(default="", max_length=8192)
    actions: list[ButtonAction] = Field(default_factory=list)
    attempt_id: str | None = None
    fix: FixOutcome | None = Field(default=None, description="A fix's outcome, when it is one.")


class Notification(Envelope):
    """Event on ``notifications``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.notification"
    type: Literal["io.alertorch.notification"] = "io.alertorch.notification"
    schemaversion: Literal[1] = 1
    data: NotificationData
