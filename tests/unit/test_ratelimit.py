"""The rate-limit primitives on a controllable clock: token buckets per key and sliding
windows; no sleeping, waits are answered."""

from __future__ import annotations

import pytest

from shared.clock import ManualClock
from shared.ratelimit import KeyedRateLimiter, SlidingWindow


def test_a_full_bucket_allows_its_capacity_then_answers_the_wait() -> None:
    clock = ManualClock()
    limiter = KeyedRateLimiter(120, 60.0, clock=clock.time)
    assert [limiter.acquire("a") for _ in range(120)] == [0.0] * 120
    assert limiter.acquire("a") == pytest.approx(0.5)
    assert limiter.acquire("b") == 0.0, "each key has its own bucket"
    clock.advance(0.5)
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(0.5)


def test_refill_never_exceeds_capacity() -> None:
    clock = ManualClock()
    limiter = KeyedRateLimiter(2, 60.0, clock=clock.time)
    clock.advance(3600)
    assert [limiter.acquire("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert limiter.acquire("a") > 0


def test_block_holds_a_key_for_the_vendors_back_off() -> None:
    clock = ManualClock()
    limiter = KeyedRateLimiter(120, 60.0, clock=clock.time)
    limiter.block("a", 30.0)
    assert limiter.acquire("a") == pytest.approx(30.0)
    clock.advance(30)
    assert limiter.acquire("a") == 0.0


def test_idle_full_buckets_are_forgotten() -> None:
    clock = ManualClock()
    limiter = KeyedRateLimiter(10, 60.0, clock=clock.time)
    for key in ("a", "b", "c"):
        limiter.acquire(key)
    clock.advance(61)
    limiter.acquire("d")
    assert len(limiter) == 1


def test_a_limit_needs_a_capacity_and_a_period() -> None:
    with pytest.raises(ValueError, match="capacity"):
        KeyedRateLimiter(0, 60.0)


def test_a_sliding_window_counts_waits_and_forgets() -> None:
    window = SlidingWindow(keep=60.0)
    assert window.take(0.0, 60.0, 2)
    assert window.take(10.0, 60.0, 2)
    assert not window.take(20.0, 60.0, 2)  # two in the last minute already
    assert window.wait(20.0, 60.0, 2) == 40.0  # when the first leaves the window
    assert window.count(59.0, 60.0) == 2
    assert window.take(60.0, 60.0, 2)  # the first one has left
    assert window.count(60.0, 10.0) == 1
    window.count(500.0, 60.0)
    assert window.times == []  # nothing older than it keeps


def test_a_sliding_window_keeps_what_its_longest_question_needs() -> None:
    window = SlidingWindow()  # keeps a day: hourly and daily limits ask the same window
    for at in (0.0, 1800.0, 5000.0):
        window.add(at)
    assert window.count(5300.0, 3600.0) == 2
    assert window.count(5300.0, 86400.0) == 3
