"""Tokens and timers: deterministic idempotency keys, and adding or removing an alert's timers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from services.notifier.policy.decisions import Cancel, Decision, Schedule
from services.notifier.policy.state import AlertState, Timer, TimerKind
from services.notifier.policy.triggers import duration_seconds
from shared.events import derived_event_id


def token(state: AlertState, *parts: str) -> str:
    """The same alert and parts give the same token, on every replay."""
    return derived_event_id(state.fingerprint, state.opened_at.isoformat(), *parts)


def new_timer(
    state: AlertState,
    kind: TimerKind,
    due_at: datetime,
    level: int = 0,
    label: str = "",
    key: str = "",
) -> Timer:
    parts = (kind, str(level), label, key)
    return Timer(
        token=token(state, "timer", *parts), kind=kind, due_at=due_at, level=level, label=label
    )


def step_timer(state: AlertState, now: datetime) -> Timer | None:
    """The timer that climbs from the current level to the next, after its (scaled) timeout."""
    policy = state.policy
    following = policy.next_level(state.level)
    if not policy.global_settings.escalation_enabled or following is None:
        return None
    if following > state.max_level:
        return None
    seconds = policy.timeout_seconds(state.level) / state.timing_factor
    return new_timer(state, "step", now + timedelta(seconds=seconds), level=following)


def time_trigger_timers(state: AlertState) -> list[Timer]:
    if not state.policy.global_settings.escalation_enabled:
        return []
    return [
        new_timer(
            state,
            "time_trigger",
            state.opened_at + timedelta(seconds=duration_seconds(key)),
            level=trigger.escalate_to_level,
            label=key,
        )
        for key, trigger in state.policy.triggers.time_based.unresolved_duration.items()
        if trigger.escalate_to_level <= state.max_level
    ]


def change_timers(
    state: AlertState, drop: Callable[[Timer], bool], add: Iterable[Timer | None] = ()
) -> tuple[AlertState, list[Decision]]:
    """Remove the timers ``drop`` selects and add ``add``; say so with Cancel/Schedule."""
    added = [t for t in add if t is not None]
    new_tokens = {t.token for t in added}
    kept = [t for t in state.timers if not drop(t) and t.token not in new_tokens]
    decisions: list[Decision] = [
        Cancel(state.fingerprint, t.token)
        for t in state.timers
        if drop(t) and t.token not in new_tokens
    ]
    decisions += [Schedule(state.fingerprint, t.token, t.kind, t.due_at) for t in added]
    timers = tuple(sorted([*kept, *added], key=lambda t: (t.due_at, t.token)))
    return state.model_copy(update={"timers": timers}), decisions


def stop_all(state: AlertState) -> tuple[AlertState, list[Decision]]:
    """Cancel every timer, held ones (a snooze's) included."""
    state, decisions = change_timers(state, lambda _: True)
    decisions += [Cancel(state.fingerprint, t.token) for t in state.paused]
    return state.model_copy(
        update={"paused": (), "snoozed_at": None, "snoozed_until": None}
    ), decisions
