"""What the engine decides. Plain values: the service turns them into events and timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.notifier.policy.levels import Action
from services.notifier.policy.state import TimerKind
from shared.events import ButtonAction, NotificationKind, Target

ALERT_BUTTONS: tuple[ButtonAction, ...] = ("ack", "snooze", "silence", "escalate", "resolve")


@dataclass(frozen=True, slots=True)
class Notify:
    """Send a notification. ``token`` is its idempotency key (derive the event id from it)."""

    fingerprint: str
    token: str
    kind: NotificationKind
    level: int
    targets: tuple[Target, ...]
    reason: str
    actions: tuple[Action, ...] = ()
    scenario_actions: tuple[str, ...] = ()
    buttons: tuple[ButtonAction, ...] = ()


@dataclass(frozen=True, slots=True)
class Suppress:
    """Something was not sent, and why (for the audit trail)."""

    fingerprint: str
    reason: str
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """Wake the engine (with a :class:`~services.notifier.policy.inputs.Tick`) at ``due_at``.

    A timer that is put off (a cooldown, a cap) is scheduled again under the same token:
    store timers keyed by token, replacing the earlier due time.
    """

    fingerprint: str
    token: str
    kind: TimerKind
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Cancel:
    """The timer ``token`` no longer needs to fire."""

    fingerprint: str
    token: str


Decision = Notify | Suppress | Schedule | Cancel
