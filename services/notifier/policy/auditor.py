"""The periodic auditor: escalations that should have fired by now and did not.

Timers live in each alert's state, so they survive a restart. If the process that should have
fired one was down, or a wake-up was lost, the auditor lists it; :func:`catch_up` fires them
(a timer fires once: it leaves the state when it fires, and its token deduplicates downstream).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifier.policy.escalate import Outcome
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState, TimerKind
from services.notifier.policy.ticks import on_tick

DEFAULT_TOLERANCE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Overdue:
    fingerprint: str
    token: str
    kind: TimerKind
    due_at: datetime
    late_by: timedelta


def find_overdue(
    states: Iterable[AlertState], now: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> list[Overdue]:
    """Timers due more than ``tolerance`` ago that are still pending, most overdue first."""
    found = [
        Overdue(state.fingerprint, timer.token, timer.kind, timer.due_at, now - timer.due_at)
        for state in states
        if state.status != "resolved"
        for timer in state.timers
        if now - timer.due_at > tolerance
    ]
    return sorted(found, key=lambda o: (o.due_at, o.fingerprint, o.token))


def catch_up(
    current: EscalationPolicy,
    states: Iterable[AlertState],
    now: datetime,
    ledger: Ledger,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> tuple[list[Outcome], Ledger]:
    """Fire what :func:`find_overdue` lists, one alert at a time, threading the ledger."""
    by_fingerprint = {state.fingerprint: state for state in states}
    late = {o.fingerprint for o in find_overdue(by_fingerprint.values(), now, tolerance)}
    outcomes: list[Outcome] = []
    for fingerprint in sorted(late):
        outcome = on_tick(current, by_fingerprint[fingerprint], now, ledger)
        ledger = outcome.ledger
        outcomes.append(outcome)
    return outcomes, ledger
