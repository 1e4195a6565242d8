"""The project's two rate-limit primitives, on a clock the caller passes (never sleeping):

- :class:`SlidingWindow`: the times of past actions; how many fall in the last N seconds, and how
  long until one more fits under a limit. Its state is a list of times, so it can be stored
  (the resolver keeps its action windows in its database).
- :class:`KeyedRateLimiter`: token buckets per key (calls per period, refilled continuously),
  which a vendor's "too many" can block for a while.

Users: the dead-letter budget (per minute), Slack's per-channel hourly cap, the resolver's
hourly and daily action limits (sliding windows); the PagerDuty client (token buckets).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from shared.clock import ReadTime

DAY = 86400.0


@dataclass
class SlidingWindow:
    """Times of past actions, oldest first; times older than ``keep`` seconds are dropped."""

    times: list[float] = field(default_factory=list)
    keep: float = DAY

    def _prune(self, now: float, seconds: float) -> None:
        horizon = max(seconds, self.keep)
        if self.times and now - self.times[0] >= horizon:
            self.times = [t for t in self.times if now - t < horizon]

    def count(self, now: float, seconds: float) -> int:
        """Actions in the last ``seconds``."""
        self._prune(now, seconds)
        return sum(1 for t in self.times if now - t < seconds)

    def wait(self, now: float, seconds: float, limit: int) -> float:
        """Seconds until one more action fits ``limit`` per ``seconds`` (0: now)."""
        inside = [t for t in self.times if now - t < seconds]
        self._prune(now, seconds)
        if len(inside) < limit:
            return 0.0
        return inside[len(inside) - limit] + seconds - now

    def add(self, now: float) -> None:
        self.times.append(now)

    def take(self, now: float, seconds: float, limit: int) -> bool:
        """Record an action if it fits ``limit`` per ``seconds``; whether it did."""
        if self.wait(now, seconds, limit) > 0:
            return False
        self.add(now)
        return True


@dataclass
class _Bucket:
    tokens: float
    updated: float
    blocked_until: float = 0.0


class KeyedRateLimiter:
    """``capacity`` calls per ``period`` seconds per key, refilled continuously. It never makes
    anyone sleep: :meth:`acquire` takes a token and answers ``0.0``, or takes nothing and
    answers how many seconds until one is free."""

    def __init__(self, capacity: int, period: float, *, clock: ReadTime = time.monotonic) -> None:
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
