"""A periodic background task survives every failure and reports only failures in a row."""

from __future__ import annotations

import asyncio

import pytest

from shared.clock import ManualClock
from shared.runner.health import HealthState
from shared.runner.periodic import Periodic, run_periodic


async def test_three_failures_in_a_row_make_unready_until_a_step_succeeds() -> None:
    health = HealthState(service="unit", started=True)
    clock = ManualClock()
    plan = [False, False, True, False, False, False, False, True]
    seen: list[bool] = []  # was the service ready when each step began?
    done = asyncio.Event()

    async def step() -> None:
        seen.append(health.ready)
        if len(seen) > len(plan):
            done.set()
            await asyncio.Event().wait()
        if not plan[len(seen) - 1]:
            raise OSError("store unavailable")

    task = asyncio.create_task(
        run_periodic(Periodic(name="timers", every=5.0, step=step), health=health, clock=clock)
    )
    await asyncio.wait_for(done.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    #         F     F     ok    F     F     F      F      ok    (then ready again)
    assert seen == [True, True, True, True, True, True, False, False, True]
    assert clock.time() == 1_800_000_000.0 + 5.0 * len(plan)


async def test_cancelling_stops_the_loop_without_reporting_a_failure() -> None:
    health = HealthState(service="unit", started=True)
    started = asyncio.Event()

    async def step() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(
        run_periodic(
            Periodic(name="slow", every=1.0, step=step), health=health, clock=ManualClock()
        )
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert health.ready


async def test_steps_start_every_interval_however_long_each_takes() -> None:
    """A slow step does not push every later one back: the next starts one interval after it
    started, or at once when it overran."""
    health = HealthState(service="unit", started=True)
    clock = ManualClock()
    took = [0.4, 0.0, 1.5, 0.2]
    starts: list[float] = []
    done = asyncio.Event()

    async def step() -> None:
        starts.append(clock.time())
        if len(starts) > len(took):
            done.set()
            await asyncio.Event().wait()
        clock.advance(took[len(starts) - 1])

    task = asyncio.create_task(
        run_periodic(Periodic(name="timers", every=1.0, step=step), health=health, clock=clock)
    )
    await asyncio.wait_for(done.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    origin = starts[0]
    assert [round(at - origin, 6) for at in starts] == [0.0, 1.0, 2.0, 3.5, 4.5]
