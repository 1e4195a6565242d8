"""Token buckets per key (e.g. per PagerDuty routing key), on an injected clock.

A bucket never makes anyone sleep: :meth:`KeyedRateLimiter.acquire` takes a token and answers
``0.0``, or takes nothing and answers how many seconds until one is free, which the caller
returns as ``DeliveryResult.later()`` so the notifier reschedules the delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float
    blocked_until: float = 0.0


class KeyedRateLimiter:
    """``capacity`` calls per ``period`` seconds per key, refilled continuously."""

    def __init__(self, capacity: int, period: float, *, clock: Clock = time.monotonic) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("a rate limit needs capacity >= 1 and period > 0")
        self._capacity = float(capacity)
        self._rate = capacity / period
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str) -> float:
        """Take a token for ``key``: ``0.0`` when taken, else the seconds to wait for one."""
        now = self._clock()
        bucket = self._refilled(key, now)
        if bucket.blocked_until > now:
            return bucket.blocked_until - now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def block(self, key: str, seconds: float) -> None:
        """The vendor said "too many": nobody uses ``key`` for ``seconds``."""
        now = self._clock()
        bucket = self._refilled(key, now)
        bucket.blocked_until = max(bucket.blocked_until, now + seconds)

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[key] = _Bucket(tokens=self._capacity, updated=now)
            return bucket
        elapsed = max(now - bucket.updated, 0.0)
        bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
        bucket.updated = now
        return bucket

    def _prune(self, now: float) -> None:
        """Forget buckets that are full again: they hold no state worth keeping."""
        full_after = self._capacity / self._rate
        for key, bucket in list(self._buckets.items()):
            if now - bucket.updated >= full_after and now >= bucket.blocked_until:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
