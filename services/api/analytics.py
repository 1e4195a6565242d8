"""The console's analytics, computed from read-model rows: pure functions, no I/O.

Within a window ``[start, end)`` cut into buckets:

- processing rate: classified events (one per occurrence the analyzer processed) per minute,
  and per bucket;
- resolution success per strategy: each attempt counts once, by its last outcome
  (``succeeded``, ``failed``, ``rolled_back``); the rate is succeeded over the attempts that
  ended; attempts still running are counted apart;
- alert response time (first event → first notification), MTTA (first event → first
  acknowledgement) and MTTR (first event → resolution), over the problems first seen in the
  window: count, mean, median, 90th percentile and maximum, in seconds;
- escalation frequency: problems first seen in the window that escalated at least once, and
  escalations in all;
- top categories and patterns of the problems seen in the window, by occurrences.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from services.api.projection import Alert

ENDED: Final = ("succeeded", "failed", "rolled_back")
TOP: Final = 10


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    bucket: float

    @classmethod
    def spanning(cls, start: float, end: float) -> Window:
        """``[start, end)`` in about 24 buckets, none shorter than an hour."""
        return cls(start=start, end=end, bucket=max(3600.0, (end - start) / 24))

    @property
    def buckets(self) -> int:
        return max(1, math.ceil((self.end - self.start) / self.bucket))

    def contains(self, at: float | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclass(frozen=True)
class Step:
    """One resolution event of an attempt."""

    attempt_id: str | None
    strategy: str | None
    status: str
    at: float


def iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted, non-empty ``ordered``."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def durations(values: Iterable[float]) -> dict[str, float | int | None]:
    ordered = sorted(max(0.0, value) for value in values)
    if not ordered:
        return {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    return {
        "count": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 0.5),
        "p90": percentile(ordered, 0.9),
        "max": ordered[-1],
    }


def strategy_success(steps: Iterable[Step]) -> dict[str, dict[str, Any]]:
    """Per strategy: attempts that ended by outcome, those still running, and the success rate."""
    strategy: dict[str, str] = {}
    outcome: dict[str, tuple[float, str]] = {}
    for step in steps:
        if step.attempt_id is None:
            continue
        if step.strategy:
            strategy.setdefault(step.attempt_id, step.strategy)
        if step.status in ENDED:
            last = outcome.get(step.attempt_id)
            if last is None or step.at >= last[0]:
                outcome[step.attempt_id] = (step.at, step.status)
    found: dict[str, dict[str, Any]] = {}
    for attempt, name in strategy.items():
        stats = found.setdefault(
            name, {"attempts": 0, "succeeded": 0, "failed": 0, "rolled_back": 0, "running": 0}
        )
        stats["attempts"] += 1
        ended = outcome.get(attempt)
        stats[ended[1] if ended else "running"] += 1
    for stats in found.values():
        done = stats["succeeded"] + stats["failed"] + stats["rolled_back"]
        stats["success_rate"] = stats["succeeded"] / done if done else None
    return dict(sorted(found.items()))


def _since_first(alerts: Iterable[Alert], field: str) -> list[float]:
    out = []
    for alert in alerts:
        at = getattr(alert, field)
        if at is not None and alert.first_seen is not None:
            out.append(at - alert.first_seen)
    return out


def escalation_frequency(alerts: Sequence[Alert]) -> dict[str, Any]:
    escalated = sum(1 for alert in alerts if alert.escalations > 0)
    return {
        "alerts": len(alerts),
        "escalated_alerts": escalated,
        "escalations": sum(alert.escalations for alert in alerts),
        "rate": escalated / len(alerts) if alerts else None,
    }


def top(alerts: Iterable[Alert], key: str) -> list[dict[str, Any]]:
    """The ``TOP`` values of ``key`` by occurrences, with their problem counts."""
    occurrences: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    templates: dict[str, str] = {}
    for alert in alerts:
        value = getattr(alert, key)
        if value is None:
            continue
        occurrences[value] += alert.occurrences
        problems[value] += 1
        if alert.template:
            templates.setdefault(value, alert.template)
    ranked = sorted(occurrences, key=lambda v: (-occurrences[v], -problems[v], v))[:TOP]
    out = []
    for value in ranked:
        item: dict[str, Any] = {key: value, "occurrences": occurrences[value]}
        item["alerts"] = problems[value]
        if key == "pattern_id":
            item["template"] = templates.get(value)
        out.append(item)
    return out


def series(window: Window, counts: Mapping[int, int]) -> list[dict[str, Any]]:
    return [
        {"start": iso(window.start + index * window.bucket), "count": counts.get(index, 0)}
        for index in range(window.buckets)
    ]


def report(
    window: Window,
    *,
    processed: Mapping[int, int],
    notified: Mapping[int, int],
    active: Sequence[Alert],
    steps: Sequence[Step],
) -> dict[str, Any]:
    """The analytics of ``window``: ``processed`` and ``notified`` are classified events and
    notifications per bucket; ``active`` the problems seen in the window; ``steps`` the
    resolution events in it."""
    minutes = (window.end - window.start) / 60.0
    total = sum(processed.values())
    opened = [alert for alert in active if window.contains(alert.first_seen)]
    decisions = Counter(step.status for step in steps)
    return {
        "window": {
            "start": iso(window.start),
            "end": iso(window.end),
            "bucket_seconds": window.bucket,
        },
        "processing": {
            "events": total,
            "per_minute": total / minutes if minutes > 0 else None,
            "buckets": series(window, processed),
        },
        "notifications": {"count": sum(notified.values()), "buckets": series(window, notified)},
        "resolutions": {
            "by_status": dict(sorted(decisions.items())),
            "by_strategy": strategy_success(steps),
        },
        "response_time_seconds": durations(_since_first(opened, "first_notified_at")),
        "mtta_seconds": durations(_since_first(opened, "acked_at")),
        "mttr_seconds": durations(_since_first(opened, "resolved_at")),
        "escalation": escalation_frequency(opened),
        "top_categories": top(active, "category"),
        "top_services": top(active, "service"),
        "top_patterns": top(active, "pattern_id"),
    }
