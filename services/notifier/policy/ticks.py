"""The clock: fire an alert's due timers, each exactly once (a fired timer leaves the state)."""

from __future__ import annotations

from datetime import datetime

from services.notifier.policy.commands import wake
from services.notifier.policy.decisions import Decision
from services.notifier.policy.escalate import Outcome, raise_level
from services.notifier.policy.lifecycle import announce, context_for
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState, Timer
from services.notifier.policy.timers import change_timers


def _fire(
    current: EscalationPolicy, state: AlertState, ledger: Ledger, timer: Timer, now: datetime
) -> Outcome:
    if timer.kind == "snooze_end":
        state, decisions = wake(state)
        return Outcome(state, ledger, tuple(decisions))
    state, _ = change_timers(state, lambda t: t.token == timer.token)
    if timer.kind == "grace":
        return (
            announce(current, state, ledger, now)
            if state.status == "grace"
            else Outcome(state, ledger)
        )
    if state.status not in ("open", "grace"):
        return Outcome(state, ledger)
    if timer.kind == "step":
        minutes = state.policy.timeout_seconds(state.level) / state.timing_factor / 60
        reason = f"level {state.level} not acknowledged within {minutes:g} min"
        return raise_level(current, state, ledger, timer.level, now, reason)
    trigger = state.policy.triggers.time_based.unresolved_duration.get(timer.label)
    if trigger is None or not all(c(context_for(state, now)) for c in trigger.conditions):
        return Outcome(state, ledger)
    if state.status == "grace":
        level = max(state.level, min(timer.level, state.max_level))
        return Outcome(state.model_copy(update={"level": level}), ledger)
    reason = f"unresolved for {timer.label.replace('_', ' ')}"
    return raise_level(current, state, ledger, timer.level, now, reason)


def on_tick(
    current: EscalationPolicy, state: AlertState | None, now: datetime, ledger: Ledger
) -> Outcome:
    """Fire the timers due at ``now``, oldest first. Timers they schedule wait for a later tick."""
    if state is None:
        return Outcome(None, ledger)
    decisions: list[Decision] = []
    for timer in [t for t in state.timers if t.due_at <= now]:
        if timer not in state.timers:
            continue  # an earlier timer of this tick replaced it
        outcome = _fire(current, state, ledger, timer, now)
        assert outcome.state is not None
        state, ledger = outcome.state, outcome.ledger
        decisions += outcome.decisions
    return Outcome(state, ledger, tuple(decisions))
