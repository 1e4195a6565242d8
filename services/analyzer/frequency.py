"""Per-fingerprint frequency and trend: sliding counts and a moving baseline, pure and bounded.

Occurrences go into per-minute buckets kept for 24 hours (at most 1,440 numbers per fingerprint).
Each completed minute is folded into an exponentially weighted moving average and variance of the
per-minute count: the fingerprint's own baseline. The trend of the current minute is

- ``new``: the first occurrence ever seen;
- ``spike``: the last minute is ``spike_z`` deviations above the baseline (the deviation is at least
  the square root of the mean, as counts are Poisson-noisy) and at least ``spike_min_count``
  occurrences (after ``warmup_minutes`` of history);
- ``rising`` / ``falling``: the last ten minutes run at over 1.5x / under 0.5x the baseline;
- ``stable`` otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from shared.events import Trend

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class TrendSettings:
    alpha: float = 0.05
    spike_z: float = 3.0
    spike_min_count: int = 5
    warmup_minutes: int = 10


@dataclass(frozen=True)
class Counts:
    last_minute: int
    last_hour: int
    last_day: int


@dataclass
class FingerprintState:
    """Everything the analyzer remembers about one fingerprint. JSON-serialisable."""

    first_seen: float
    last_seen: float
    total: int = 0
    minutes: dict[int, int] = field(default_factory=dict)
    baseline_mean: float = 0.0
    baseline_var: float = 0.0
    folded_until: int | None = None
    history_minutes: int = 0
    resolved_at: float | None = None
    source_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["minutes"] = {str(k): v for k, v in self.minutes.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FingerprintState:
        data = dict(data)
        data["minutes"] = {int(k): int(v) for k, v in data.get("minutes", {}).items()}
        return cls(**data)


def _fold(state: FingerprintState, upto: int, settings: TrendSettings) -> None:
    """Fold every completed minute before ``upto`` into the baseline."""
    start = state.folded_until if state.folded_until is not None else upto
    alpha = settings.alpha
    gap = upto - start
    if gap > 120:
        # Long silence: the zero minutes decay the baseline in closed form.
        decay = (1 - alpha) ** (gap - 1)
        state.baseline_mean *= decay
        state.baseline_var *= decay
        state.history_minutes += gap - 1
        start = upto - 1
    for minute in range(start, upto):
        value = state.minutes.get(minute, 0)
        if state.history_minutes == 0:
            state.baseline_mean = float(value)
            state.history_minutes = 1
            continue
        delta = value - state.baseline_mean
        state.baseline_mean += alpha * delta
        state.baseline_var = (1 - alpha) * (state.baseline_var + alpha * delta * delta)
        state.history_minutes += 1
    state.folded_until = upto


def record(
    state: FingerprintState | None, *, now: float, occurrences: int, settings: TrendSettings
) -> tuple[FingerprintState, Counts, Trend]:
    """Add ``occurrences`` at ``now`` (seconds) and return the state, counts and trend."""
    minute = int(now // 60)
    is_new = state is None
    if state is None:
        state = FingerprintState(first_seen=now, last_seen=now, folded_until=minute)
    _fold(state, minute, settings)
    state.minutes[minute] = state.minutes.get(minute, 0) + occurrences
    state.total += occurrences
    state.last_seen = max(state.last_seen, now)
    for old in [m for m in state.minutes if m <= minute - DAY_MINUTES]:
        del state.minutes[old]
    counts = counts_at(state, now)
    return state, counts, ("new" if is_new else trend_of(state, now, counts, settings))


def counts_at(state: FingerprintState, now: float) -> Counts:
    minute = int(now // 60)
    # Sliding minute: this minute's bucket plus the unexpired share of the previous one.
    elapsed = (now % 60) / 60
    last_minute = state.minutes.get(minute, 0) + math.floor(
        state.minutes.get(minute - 1, 0) * (1 - elapsed)
    )
    last_hour = sum(v for m, v in state.minutes.items() if m > minute - 60)
    last_day = sum(v for m, v in state.minutes.items() if m > minute - DAY_MINUTES)
    return Counts(last_minute=last_minute, last_hour=last_hour, last_day=last_day)


def baseline(state: FingerprintState, settings: TrendSettings) -> float | None:
    """The fingerprint's usual occurrences per minute, once it has ``warmup_minutes`` of
    history (None before)."""
    if state.history_minutes < settings.warmup_minutes:
        return None
    return state.baseline_mean


def trend_of(state: FingerprintState, now: float, counts: Counts, settings: TrendSettings) -> Trend:
    minute = int(now // 60)
    mean, std = state.baseline_mean, math.sqrt(state.baseline_var)
    if state.history_minutes >= settings.warmup_minutes:
        # Counts are at least Poisson-noisy: never trust a deviation below sqrt(mean).
        z = (counts.last_minute - mean) / max(std, math.sqrt(mean), 1.0)
        if counts.last_minute >= settings.spike_min_count and z >= settings.spike_z:
            return "spike"
    recent = sum(v for m, v in state.minutes.items() if m > minute - 10) / 10
    if state.history_minutes < settings.warmup_minutes:
        return "stable"
    if recent > 1.5 * mean and recent >= 0.3:
        return "rising"
    if recent < 0.5 * mean and mean >= 0.1:
        return "falling"
    return "stable"
