"""Background work that repeats (pollers, timers, outbox retries, housekeeping), supervised.

A periodic task runs its step, waits its interval, and again, until the service stops. A step
that raises is logged with its traceback and counted in ``alertorch_background_failures_total``;
the loop goes on. After :data:`FAILURES_BEFORE_UNREADY` failures in a row the service reports
unready (``/readyz`` names the task and its last error) until a step succeeds again. A loop
never ends because one step failed.
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


@dataclass(frozen=True, kw_only=True)
class Periodic:
    """``step`` every ``every`` seconds, the first time as soon as the service runs."""

    name: str
    every: float
    step: Callable[[], Awaitable[object]]


async def run_periodic(task: Periodic, *, health: HealthState, clock: Clock) -> None:
    """Run ``task`` until cancelled; failures are survived, counted and reported."""
    failures = 0
    key = f"task {task.name}"
    while True:
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
        await clock.sleep(task.every)
