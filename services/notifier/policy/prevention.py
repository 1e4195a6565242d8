"""Prevention rules across alerts: duplicate suppression and escalation caps per hour and day.

The :class:`Ledger` is the one piece of state shared by all alerts; the caller keeps it (and
stores it) and passes it to every decision. It stays bounded: escalations and openings older
than a day are dropped, and at most :data:`MAX_OPENINGS` openings (the newest) are kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from datetime import datetime, timedelta

from services.notifier.policy.model import EscalationPolicy
from shared.models import StrictFrozenModel

MAX_OPENINGS = 1000
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
WORD = re.compile(r"[a-z]+")


class Opening(StrictFrozenModel):
    fingerprint: str
    words: tuple[str, ...]
    at: datetime


class Ledger(StrictFrozenModel):
    escalations: tuple[datetime, ...] = ()
    openings: tuple[Opening, ...] = ()


def title_words(title: str) -> tuple[str, ...]:
    """The words of a title, lower-cased, numbers and ids dropped, sorted and unique."""
    return tuple(sorted(set(WORD.findall(title.lower()))))


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard similarity of two word sets (1.0 for two empty titles)."""
    left, right = set(a), set(b)
    union = left | right
    return len(left & right) / len(union) if union else 1.0


def duplicate_of(
    policy: EscalationPolicy, ledger: Ledger, fingerprint: str, title: str, now: datetime
) -> str | None:
    """Why a new alert's first notification is a duplicate, or None when it is not."""
    rule = policy.prevention_rules.noise_reduction.duplicate_suppression
    if not rule.enabled:
        return None
    window = timedelta(minutes=rule.time_window_minutes)
    words = title_words(title)
    for seen in reversed(ledger.openings):
        if now - seen.at >= window:
            continue
        if seen.fingerprint == fingerprint:
            return (
                f"duplicate: the same problem was notified within {rule.time_window_minutes:g} min"
            )
        score = similarity(words, seen.words)
        if score >= rule.similarity_threshold:
            return f"duplicate of {seen.fingerprint} (similarity {score:.2f})"
    return None


def record_opening(ledger: Ledger, fingerprint: str, title: str, now: datetime) -> Ledger:
    """``ledger`` with the opening of ``fingerprint`` at ``now``; openings stay in time order,
    so those older than a day are cut off the front by bisection (this runs for every new
    problem, with up to :data:`MAX_OPENINGS` openings kept)."""
    openings = list(ledger.openings)
    del openings[: bisect_right(openings, now - DAY, key=_at)]
    insort(openings, Opening(fingerprint=fingerprint, words=title_words(title), at=now), key=_at)
    return ledger.model_copy(update={"openings": tuple(openings[-MAX_OPENINGS:])})


def _at(opening: Opening) -> datetime:
    return opening.at


def record_escalation(ledger: Ledger, now: datetime) -> Ledger:
    kept = tuple(t for t in ledger.escalations if now - t < DAY)
    return ledger.model_copy(update={"escalations": (*kept, now)})


def _free_at(times: list[datetime], limit: int | None, window: timedelta) -> datetime | None:
    if limit is None or len(times) < limit:
        return None
    return times[len(times) - limit] + window


def cap_reached(
    policy: EscalationPolicy, ledger: Ledger, now: datetime
) -> tuple[datetime, str] | None:
    """When the next automatic escalation may happen and why, or None when it may happen now."""
    limits = policy.prevention_rules.rate_limiting
    times = sorted(t for t in ledger.escalations if now - t < DAY)
    blocked = [
        (at, why)
        for at, why in (
            (
                _free_at(
                    [t for t in times if now - t < HOUR], limits.max_escalations_per_hour, HOUR
                ),
                f"at most {limits.max_escalations_per_hour} escalations per hour",
            ),
            (
                _free_at(times, limits.max_escalations_per_day, DAY),
                f"at most {limits.max_escalations_per_day} escalations per day",
            ),
        )
        if at is not None
    ]
    return max(blocked) if blocked else None
