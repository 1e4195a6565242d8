"""A resolver event: opens an alert, or updates one and may raise it."""

from __future__ import annotations

from datetime import datetime

from services.notifier.policy.context import build_context
from services.notifier.policy.decisions import Decision, Suppress
from services.notifier.policy.escalate import Outcome, raise_level
from services.notifier.policy.frequency import add_failure, add_sample, frequency_matches
from services.notifier.policy.lifecycle import close, context_for, new_state, start
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.notify import update
from services.notifier.policy.opening import Match, assess, defined_at_or_below
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState
from services.notifier.policy.triggers import duration_seconds
from shared.events import NotificationKind, ResolutionData

UPDATE_KINDS: dict[str, NotificationKind] = {
    "awaiting_approval": "approval_request",
    "executing": "resolution_started",
    "succeeded": "resolution_succeeded",
    "failed": "resolution_failed",
    "rolled_back": "rolled_back",
}


def _known_issue(policy: EscalationPolicy, data: ResolutionData) -> str | None:
    rules = policy.prevention_rules.noise_reduction.known_issues
    if not rules.enabled:
        return None
    if rules.suppress_known_patterns and data.details.get("known_issue") is True:
        return "known issue"
    if rules.maintenance_mode_suppression and data.details.get("maintenance_mode") is True:
        return "maintenance mode"
    return None


def open_alert(
    current: EscalationPolicy,
    previous: AlertState | None,
    data: ResolutionData,
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    why = "the resolver suppressed it" if data.status == "suppressed" else None
    why = why or _known_issue(current, data)
    context = build_context(
        summary=data.summary,
        facts=data.details,
        status="open",
        last_resolution=data.status,
        resolution_attempts=1 if data.status == "executing" else 0,
        level=None,
        opened_at=now,
        now=now,
        hours=current.global_settings.business_hours,
    )
    automatic = current.de_escalation.automatic_de_escalation
    if why is None and automatic.enabled:
        hit = next((c for c in automatic.conditions if c(context)), None)
        why = f"already resolved ({hit})" if hit is not None else None
    if why is not None:
        return Outcome(previous, ledger, (Suppress(data.fingerprint, f"no alert: {why}"),))
    assessment = assess(current, data.summary, context)
    state = new_state(current, data, assessment, now)
    told = tuple(n for n in previous.notified_levels if n in current.levels) if previous else ()
    state = state.model_copy(
        update={"samples": add_sample(state, now, data.summary.count), "told_before": told}
    )
    return start(current, state, ledger, assessment.grace_seconds, now)


def _absorb(state: AlertState, data: ResolutionData, now: datetime) -> AlertState:
    changes: dict[str, object] = {
        "summary": data.summary,
        "facts": {**state.facts, **data.details, **_exhausted_by(data)},
        "last_resolution": data.status,
        "samples": add_sample(state, now, data.summary.count),
    }
    if data.status == "executing":
        changes["resolution_attempts"] = state.resolution_attempts + 1
    if data.status == "succeeded":
        changes["resolution_successes"] = state.resolution_successes + 1
    if data.status in ("failed", "rolled_back"):
        changes["failures"] = add_failure(state, now)
        changes["resolution_failures"] = state.resolution_failures + 1
    return state.model_copy(update=changes)


def _exhausted(state: AlertState, data: ResolutionData) -> list[Match]:
    """Every strategy of the resolver's fallback list was tried: one level up (once: the same
    event delivered again finds it in the alert's facts)."""
    if data.details.get("fallbacks_exhausted") is not True:
        return []
    seen = state.facts.get("fallbacks_exhausted") is True
    if seen and state.facts.get("exhausted_by") == data.attempt_id:
        return []
    tried = ", ".join(str(name) for name in data.details.get("tried", []))
    return [Match(state.level + 1, f"every fix in the list failed ({tried})")]


def _exhausted_by(data: ResolutionData) -> dict[str, object]:
    """The attempt whose end ran the list out, kept so a redelivery escalates once."""
    if data.details.get("fallbacks_exhausted") is True:
        return {"exhausted_by": data.attempt_id}
    return {}


def _time_matches(state: AlertState, context: dict[str, object], now: datetime) -> list[Match]:
    age = (now - state.opened_at).total_seconds()
    return [
        Match(trigger.escalate_to_level, f"unresolved for {key.replace('_', ' ')}")
        for key, trigger in state.policy.triggers.time_based.unresolved_duration.items()
        if age >= duration_seconds(key) and all(c(context) for c in trigger.conditions)
    ]


def update_alert(
    current: EscalationPolicy,
    state: AlertState,
    data: ResolutionData,
    event_id: str,
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    exhausted = _exhausted(state, data)
    state = _absorb(state, data, now)
    context = context_for(state, now)
    automatic = state.policy.de_escalation.automatic_de_escalation
    hit = next((c for c in automatic.conditions if c(context)), None) if automatic.enabled else None
    if hit is not None:
        return close(state, ledger, now, f"automatic de-escalation: {hit}")
    decisions: list[Decision] = []
    if state.status != "grace":
        kind = UPDATE_KINDS.get(data.status, "update")
        decisions += update(state, kind, data.reason or data.status, event_id)
    if state.status == "acknowledged" or state.snoozed_until is not None:
        return Outcome(state, ledger, tuple(decisions))
    assessment = assess(state.policy, state.summary, context)
    found = [Match(assessment.level, assessment.reason)]
    found += frequency_matches(state, now) + _time_matches(state, context, now)
    found += exhausted
    best = max(found, key=lambda m: m.level)
    target = defined_at_or_below(state.policy, min(best.level, state.max_level))
    if target <= state.level:
        return Outcome(state, ledger, tuple(decisions))
    if state.status == "grace":
        state = state.model_copy(update={"level": target, "reason": best.reason})
        return Outcome(state, ledger, tuple(decisions))
    raised = raise_level(current, state, ledger, target, now, best.reason)
    return Outcome(raised.state, raised.ledger, (*decisions, *raised.decisions))


def on_resolution(
    current: EscalationPolicy,
    state: AlertState | None,
    data: ResolutionData,
    event_id: str,
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    if data.status == "resolved_by_source":
        return resolved_by_source(state, data, now, ledger)
    if state is None or state.status == "resolved":
        return open_alert(current, state, data, now, ledger)
    return update_alert(current, state, data, event_id, now, ledger)


def resolved_by_source(
    state: AlertState | None, data: ResolutionData, now: datetime, ledger: Ledger
) -> Outcome:
    """The source says it is over: close the alert (timers stop, those notified are told,
    PagerDuty resolves); during a grace period nobody is told at all; never opens one."""
    if state is None or state.status == "resolved":
        why = "no open alert: resolved by source"
        return Outcome(state, ledger, (Suppress(data.fingerprint, why),))
    return close(_absorb(state, data, now), ledger, now, "resolved by source")
