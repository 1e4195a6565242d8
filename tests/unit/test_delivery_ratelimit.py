"""Token buckets per key on a controllable clock: no sleeping, waits are answered."""

from __future__ import annotations

import pytest

from services.notifier.delivery.ratelimit import KeyedRateLimiter
from shared.clock import ManualClock


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
