"""What the alert's history says: occurrence samples, failed fixes, and the triggers they fire."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifier.policy.opening import Match
from services.notifier.policy.state import AlertState, Sample
from services.notifier.policy.triggers import FrequencyTrigger

MAX_SAMPLES = 500
#: Readings closer together than the longest window over this many are one reading: the
#: latest stands for those since the reading before it. A storm of occurrences then keeps a few
#: samples, not one per occurrence, and a window's baseline is at most that spacing early
#: (14.4 s when the longest window is an hour), where it was the oldest of the last
#: ``MAX_SAMPLES`` readings however recent.
SPACING_PER_WINDOW = MAX_SAMPLES // 2
DAY = timedelta(days=1)


def _horizon(triggers: dict[str, FrequencyTrigger]) -> timedelta:
    return timedelta(minutes=max((t.window_minutes for t in triggers.values()), default=60))


def add_sample(state: AlertState, now: datetime, count: int) -> tuple[Sample, ...]:
    """Keep the samples inside the longest error-rate window, plus one older as the baseline.
    A reading replaces the latest one while it comes within the spacing of the one before that
    (so at most two readings a spacing are kept, and the window's ``MAX_SAMPLES`` hold it)."""
    horizon = _horizon(state.policy.triggers.frequency_based.error_rate)
    reading = Sample(at=now, count=count)
    kept = list(state.samples)
    if len(kept) >= 2 and now - kept[-2].at < horizon / SPACING_PER_WINDOW:
        samples = [*kept[:-1], reading]
    else:
        samples = [*kept, reading]
    older = [s for s in samples if now - s.at > horizon]
    recent = [s for s in samples if now - s.at <= horizon]
    return tuple((older[-1:] + recent)[-MAX_SAMPLES:])


def add_failure(state: AlertState, now: datetime) -> tuple[datetime, ...]:
    horizon = _horizon(state.policy.triggers.frequency_based.resolution_failure_rate)
    kept = [t for t in state.failures if now - t <= max(horizon, DAY)]
    return tuple([*kept, now][-MAX_SAMPLES:])


def _error_rate(samples: tuple[Sample, ...], now: datetime, window: timedelta) -> float:
    """Occurrences per hour over ``window``: growth of the count since the window opened."""
    if not samples:
        return 0.0
    before = [s for s in samples if now - s.at >= window]
    baseline = before[-1] if before else samples[0]
    growth = max(samples[-1].count - baseline.count, 0)
    return growth * 3600 / window.total_seconds()


def frequency_matches(state: AlertState, now: datetime) -> list[Match]:
    found: list[Match] = []
    triggers = state.policy.triggers.frequency_based
    for name, trigger in triggers.error_rate.items():
        window = timedelta(minutes=trigger.window_minutes)
        rate = _error_rate(state.samples, now, window)
        if rate >= trigger.threshold:
            reason = f"error rate {rate:g}/h reached {trigger.threshold:g}/h ({name})"
            found.append(Match(trigger.escalate_to_level, reason))
    for name, trigger in triggers.resolution_failure_rate.items():
        window = timedelta(minutes=trigger.window_minutes)
        failed = sum(1 for t in state.failures if now - t < window)
        rate = failed * 3600 / window.total_seconds()
        if rate >= trigger.threshold:
            reason = f"{failed} failed fixes in {trigger.window_minutes} min ({name})"
            found.append(Match(trigger.escalate_to_level, reason))
    return found
