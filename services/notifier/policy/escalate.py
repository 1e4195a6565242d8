"""Raising an alert to a higher level, under the cooldown and the caps.

An automatic raise (a level timeout, a trigger) that the cooldown or a cap forbids is not
lost: it becomes a step timer at the time it will be allowed. A person's ``escalate`` is not
held back by either (it is still counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.notifier.policy.decisions import Decision, Suppress
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.notify import level_notification
from services.notifier.policy.opening import defined_at_or_below
from services.notifier.policy.prevention import Ledger, cap_reached, record_escalation
from services.notifier.policy.state import AlertState
from services.notifier.policy.timers import change_timers, new_timer, step_timer


@dataclass(frozen=True, slots=True)
class Outcome:
    """The engine's answer: the alert's new state (None: no alert), the ledger, the decisions."""

    state: AlertState | None
    ledger: Ledger
    decisions: tuple[Decision, ...] = field(default=())


def _blocked(
    current: EscalationPolicy, state: AlertState, ledger: Ledger, now: datetime
) -> tuple[datetime, str] | None:
    reasons: list[tuple[datetime, str]] = []
    cooldown = state.policy.cooldown_seconds()
    if state.last_escalated_at is not None and cooldown > 0:
        allowed = state.last_escalated_at + timedelta(seconds=cooldown)
        if now < allowed:
            reasons.append((allowed, f"cooldown of {cooldown:g} s between escalations"))
    capped = cap_reached(current, ledger, now)
    if capped is not None:
        reasons.append(capped)
    return max(reasons) if reasons else None


def raise_level(
    current: EscalationPolicy,
    state: AlertState,
    ledger: Ledger,
    target: int,
    now: datetime,
    reason: str,
    *,
    manual: bool = False,
) -> Outcome:
    """Notify ``target`` (clamped to the alert's ceiling) if it is above the current level."""
    target = defined_at_or_below(state.policy, min(target, state.max_level))
    if target <= state.level:
        why = f"already at level {state.level}, the highest this alert may reach"
        return Outcome(state, ledger, (Suppress(state.fingerprint, why),) if manual else ())
    if not manual:
        blocked = _blocked(current, state, ledger, now)
        if blocked is not None:
            return _defer(state, ledger, target, *blocked)
    notify = level_notification(state, target, "escalation", reason)
    state = state.model_copy(
        update={
            "level": target,
            "notified_levels": (*state.notified_levels, target),
            "last_escalated_at": now,
        }
    )
    following = step_timer(state, now) if state.status == "open" else None
    state, timer_decisions = change_timers(state, lambda t: t.kind == "step", [following])
    return Outcome(state, record_escalation(ledger, now), (notify, *timer_decisions))


def _defer(
    state: AlertState, ledger: Ledger, target: int, allowed_at: datetime, why: str
) -> Outcome:
    pending = state.timer("step")
    if pending is not None and pending.level > target:
        target = pending.level
    timer = new_timer(state, "step", allowed_at, level=target)
    state, decisions = change_timers(state, lambda t: t.kind == "step", [timer])
    held = Suppress(
        state.fingerprint,
        f"escalation to level {target} held until {allowed_at:%H:%M:%S}: {why}",
        timer.token,
    )
    return Outcome(state, ledger, (held, *decisions))
