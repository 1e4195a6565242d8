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


async def test_a_stop_lets_the_step_in_progress_finish_and_starts_no_other() -> None:
    health = HealthState(service="unit", started=True)
    stopping, inside, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    steps: list[str] = []

    async def step() -> None:
        steps.append("began")
        inside.set()
        await release.wait()
        steps.append("ended")

    task = asyncio.create_task(
        run_periodic(
            Periodic(name="sends", every=3600.0, step=step),
            health=health,
            clock=ManualClock(),
            stopping=stopping,
        )
    )
    await inside.wait()
    stopping.set()
    await asyncio.sleep(0.05)
    assert not task.done(), "the step in progress is not cut short"
    release.set()
    await asyncio.wait_for(task, timeout=5)  # ends by itself: no hour-long wait, no cancel
    assert steps == ["began", "ended"]


def test_the_pause_is_the_interval_unless_the_next_step_is_due_sooner() -> None:
    async def step() -> None:
        return None

    due: list[float | None] = [None]
    task = Periodic(name="retries", every=1.0, step=step, sooner=lambda: due[0])
    assert task.pause() == 1.0, "nothing due sooner"
    due[0] = 0.1
    assert task.pause() == 0.1
    due[0] = 5.0
    assert task.pause() == 1.0, "never later than the interval"
    due[0] = -0.5
    assert task.pause() == 0.0, "already due"
    assert Periodic(name="timers", every=2.0, step=step).pause() == 2.0
