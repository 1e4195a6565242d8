"""Opening an alert, announcing it, and closing it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.notifier.policy.context import build_context
from services.notifier.policy.decisions import Decision, Notify, Suppress
from services.notifier.policy.escalate import Outcome
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.notify import level_notification, notified_targets, update
from services.notifier.policy.opening import Assessment
from services.notifier.policy.prevention import Ledger, duplicate_of, record_opening
from services.notifier.policy.state import AlertState
from services.notifier.policy.timers import (
    change_timers,
    new_timer,
    step_timer,
    stop_all,
    time_trigger_timers,
    token,
)
from shared.events import ErrorSummary, ResolutionData

RESOLVED_TYPES = frozenset({"slack", "pagerduty", "jira"})


def context_for(state: AlertState, now: datetime) -> dict[str, Any]:
    return build_context(
        summary=state.summary,
        facts=state.facts,
        status=state.status,
        last_resolution=state.last_resolution,
        resolution_attempts=state.resolution_attempts,
        fixes_ended=(state.resolution_successes, state.resolution_failures),
        level=state.level,
        opened_at=state.opened_at,
        now=now,
        hours=state.policy.global_settings.business_hours,
    )


def new_state(
    policy: EscalationPolicy, data: ResolutionData, assessment: Assessment, now: datetime
) -> AlertState:
    summary: ErrorSummary = data.summary
    return AlertState(
        fingerprint=data.fingerprint,
        policy=policy,
        opened_at=now,
        status="grace" if assessment.grace_seconds > 0 else "open",
        level=assessment.level,
        max_level=assessment.max_level,
        timing_factor=assessment.timing_factor,
        reason=assessment.reason,
        scenario_actions=assessment.scenario_actions,
        summary=summary,
        facts=dict(data.details),
        last_resolution=data.status,
        resolution_attempts=1 if data.status == "executing" else 0,
        failures=(now,) if data.status in ("failed", "rolled_back") else (),
    )


def start(
    current: EscalationPolicy, state: AlertState, ledger: Ledger, grace: float, now: datetime
) -> Outcome:
    """Schedule the time triggers; then wait out the grace period or announce at once."""
    state, decisions = change_timers(state, lambda _: False, time_trigger_timers(state))
    if state.status == "grace":
        timer = new_timer(state, "grace", now + timedelta(seconds=grace), level=state.level)
        state, more = change_timers(state, lambda _: False, [timer])
        return Outcome(state, ledger, (*decisions, *more))
    outcome = announce(current, state, ledger, now)
    return Outcome(outcome.state, outcome.ledger, (*decisions, *outcome.decisions))


def announce(
    current: EscalationPolicy, state: AlertState, ledger: Ledger, now: datetime
) -> Outcome:
    """The alert's first notification, unless it duplicates one sent within the window. A
    duplicate is not announced again; a problem back after it was resolved is told, as an
    update, to the Slack cards of the levels told of it before (they open again and follow
    its counts)."""
    title = state.summary.title
    duplicate = duplicate_of(current, ledger, state.fingerprint, title, now)
    ledger = record_opening(ledger, state.fingerprint, title, now)
    first: list[Decision]
    if duplicate is None:
        first = [level_notification(state, state.level, "new_alert", state.reason)]
        notified: tuple[int, ...] = (state.level,)
    else:
        notified = state.told_before
        first = [Suppress(state.fingerprint, duplicate, token(state, "level", str(state.level)))]
    state = state.model_copy(update={"status": "open", "notified_levels": notified})
    if duplicate is not None:
        first += update(state, "update", f"back after it was resolved ({duplicate})", "back")
    state, decisions = change_timers(
        state, lambda t: t.kind in ("grace", "step"), [step_timer(state, now)]
    )
    return Outcome(state, ledger, (*first, *decisions))


def close(state: AlertState, ledger: Ledger, now: datetime, reason: str) -> Outcome:
    """Resolve the alert: stop every timer; tell those notified (PagerDuty resolves too, Jira
    closes its issue)."""
    state, decisions = stop_all(state)
    targets = notified_targets(state, RESOLVED_TYPES)
    state = state.model_copy(update={"status": "resolved", "resolved_at": now})
    done: Decision
    if targets:
        done = Notify(
            fingerprint=state.fingerprint,
            token=token(state, "resolved"),
            kind="resolved",
            level=state.level,
            targets=targets,
            reason=reason,
        )
    else:
        done = Suppress(state.fingerprint, f"resolved before anyone was notified: {reason}")
    return Outcome(state, ledger, (*decisions, done))
