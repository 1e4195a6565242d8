"""Per-alert policy state: serialisable, immutable, changed only by the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from services.notifier.policy.model import EscalationPolicy
from shared.events import ErrorSummary, ResolutionStatus
from shared.models import StrictFrozenModel

AlertStatus = Literal["grace", "open", "acknowledged", "resolved"]
TimerKind = Literal["grace", "step", "time_trigger", "snooze_end"]


class Timer(StrictFrozenModel):
    """A durable wake-up. ``token`` is its idempotency key: one token, one firing."""

    token: str
    kind: TimerKind
    due_at: datetime
    level: int = Field(default=0, description="The level a grace/step/time trigger leads to.")
    label: str = Field(default="", description="The time trigger's key, e.g. 15_minutes.")


class Sample(StrictFrozenModel):
    """The alert's occurrence count as of ``at`` (for the error-rate triggers)."""

    at: datetime
    count: int


class AlertState(StrictFrozenModel):
    """One alert (one fingerprint, from opening to resolution).

    ``policy`` is the snapshot taken when the alert opened: every later decision about this
    alert uses it, whatever the current rules file says. To store states compactly, store each
    policy once by :attr:`EscalationPolicy.digest` and the state without it.
    """

    fingerprint: str
    policy: EscalationPolicy
    opened_at: datetime
    status: AlertStatus
    level: int = Field(description="The level notified last (in grace: the one pending).")
    notified_levels: tuple[int, ...] = ()
    told_before: tuple[int, ...] = Field(
        default=(),
        description="The levels told of the problem's previous alert, when it is back after it "
        "was resolved: if its first notification is a duplicate, they are told instead.",
    )
    max_level: int
    timing_factor: float = Field(gt=0, description="Level timeouts are divided by this.")
    reason: str = ""
    scenario_actions: tuple[str, ...] = ()
    summary: ErrorSummary
    facts: dict[str, Any] = Field(default_factory=dict)
    last_resolution: ResolutionStatus | None = None
    resolution_attempts: int = 0
    resolution_successes: int = Field(default=0, description="Fixes that succeeded.")
    resolution_failures: int = Field(default=0, description="Fixes that failed or rolled back.")
    failures: tuple[datetime, ...] = ()
    samples: tuple[Sample, ...] = ()
    timers: tuple[Timer, ...] = ()
    paused: tuple[Timer, ...] = Field(default=(), description="Timers held by a snooze.")
    snoozed_at: datetime | None = None
    snoozed_until: datetime | None = None
    last_escalated_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    handled_commands: tuple[str, ...] = Field(
        default=(), description="Ids of the latest commands acted on (a redelivery acts once)."
    )

    def timer(self, kind: TimerKind) -> Timer | None:
        return next((t for t in self.timers if t.kind == kind), None)
