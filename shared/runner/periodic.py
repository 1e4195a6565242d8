"""Background work that repeats (pollers, timers, outbox retries, housekeeping), supervised.

A periodic task runs its step, waits its interval, and again, until the service stops. A step
that raises is logged with its traceback and counted in ``alertorch_background_failures_total``;
the loop goes on. After :data:`FAILURES_BEFORE_UNREADY` failures in a row the service reports
unready (``/readyz`` names the task and its last error) until a step succeeds again. A loop
never ends because one step failed. When the service stops (``stopping`` is set), a step in
progress finishes (the service gives it :data:`STOP_GRACE_SECONDS`) and no other begins: a send
or a claim is not cut in half by an orderly stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

import structlog

from shared.clock import Clock
from shared.metrics import BACKGROUND_FAILURES
from shared.runner.health import HealthState

log = structlog.get_logger(__name__)

FAILURES_BEFORE_UNREADY: Final = 3
#: How long a stopping service waits for steps in progress before it cancels them.
STOP_GRACE_SECONDS: Final = 15.0


@dataclass(frozen=True, kw_only=True)
class Periodic:
    """``step`` every ``every`` seconds, the first time as soon as the service runs; sooner
    when ``sooner`` (asked after each step) says the next step is due in fewer seconds."""

    name: str
    every: float
    step: Callable[[], Awaitable[object]]
    sooner: Callable[[], float | None] | None = None

    def pause(self) -> float:
        """Seconds to wait before the next step."""
        due = self.sooner() if self.sooner is not None else None
        return self.every if due is None else max(min(self.every, due), 0.0)


async def run_periodic(
    task: Periodic, *, health: HealthState, clock: Clock, stopping: asyncio.Event | None = None
) -> None:
    """Run ``task`` until cancelled, or until ``stopping`` is set and no step is in progress;
    failures are survived, counted and reported."""
    failures = 0
    key = f"task {task.name}"
    stopping = stopping or asyncio.Event()
    while not stopping.is_set():
        try:
            await task.step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            BACKGROUND_FAILURES.labels(health.service, task.name).inc()
            log.exception("background step failed", task=task.name, failures_in_a_row=failures)
            if failures >= FAILURES_BEFORE_UNREADY:
                health.set_problem(key, f"{key} failed {failures} times in a row: {exc!r}")
        else:
            if failures:
                log.info("background step recovered", task=task.name, after_failures=failures)
                health.set_problem(key, None)
            failures = 0
        await _pause(clock, task.pause(), stopping)


async def _pause(clock: Clock, seconds: float, stopping: asyncio.Event) -> None:
    """Sleep ``seconds`` on ``clock``, or until ``stopping`` is set."""
    if stopping.is_set():
        return
    if seconds <= 0:  # a loop that runs back to back (it waits inside its step)
        await asyncio.sleep(0)
        return
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    stopper = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        stopper.cancel()
