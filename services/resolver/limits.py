"""Circuit breakers: pure, clock passed in, state serialisable. (Rate windows are
:class:`shared.ratelimit.SlidingWindow`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; after ``cooldown`` one trial is let
    through (half-open): its success closes the breaker, its failure opens it again."""

    threshold: int = 3
    cooldown_seconds: float = 900.0
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False

    def state(self, now: float) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        if now - self.opened_at >= self.cooldown_seconds:
            return "half_open"
        return "open"

    def allows(self, now: float) -> bool:
        state = self.state(now)
        return state == "closed" or (state == "half_open" and not self.trial_running)

    def started(self, now: float) -> None:
        if self.state(now) == "half_open":
            self.trial_running = True

    def record(self, *, success: bool, now: float) -> None:
        self.trial_running = False
        if success:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.threshold:
            self.opened_at = now
