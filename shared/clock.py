"""Time, passed in: the one clock protocol, the system clock, and a manual clock for tests.

Code that waits or reads the time takes a :class:`Clock` instead of calling ``time.time`` or
``asyncio.sleep`` itself, so a test can move time forward without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

#: Just the reading of a clock (``time.time``, ``time.monotonic``, a ManualClock's ``time``).
ReadTime = Callable[[], float]


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to, or when slept on (then it lets other tasks run)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


SYSTEM_CLOCK = SystemClock()
