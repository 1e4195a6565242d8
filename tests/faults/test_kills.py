"""The analyzer, the resolver and the notifier run as processes on a broker of their own; 2,000
errors of 10 problems arrive in two bursts of 1,000 (the second as the resolver's turn comes,
so that it is killed with work still arriving) and each service is SIGKILLed mid-stream in
turn, then started again. Every input is accounted for (classified, with exact counts per
problem, and decided), no Slack root is posted twice and no fix runs twice."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.notifier.delivery.base import SEND_LEASE_SECONDS
from shared.events import RawError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, RESOLUTIONS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.faults.pipeline import (
    FixCalls,
    Progress,
    assert_each_fix_and_root_once,
    counted,
    decoded,
    fix_config,
    problem_of,
    serving_runbook,
    stuck_worker,
    wait_for,
)
from tests.kafka_helpers import produce_keyed
from tests.procs import ServiceProcess, running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

PROBLEMS = 10
EVENTS = 2000


@pytest.fixture
def runbook() -> Iterator[tuple[FixCalls, str]]:
    with serving_runbook() as served:
        yield served


def _errors(marker: str) -> list[RawError]:
    return [
        lift_custom_alert(stuck_worker(marker, n % PROBLEMS), origin="custom", producer="/test")
        for n in range(EVENTS)
    ]


async def _trickle(bootstrap: str, records: list[tuple[bytes, bytes]]) -> None:
    """Publish ``records`` 25 at a time, a quarter of a second apart (about 10 s for 1,000): a
    service killed part-way through them still has work arriving, however fast it is."""
    for start in range(0, len(records), 25):
        await produce_keyed(bootstrap, ERRORS_RAW, records[start : start + 25])
        await asyncio.sleep(0.25)


# three kills and three restarts of real processes: slower than the suite's default limit
@pytest.mark.timeout(480)
async def test_each_service_killed_mid_stream_loses_nothing_and_repeats_nothing(
    own_broker: str, runbook: tuple[FixCalls, str], tmp_path: Path
) -> None:
    calls, runbook_url = runbook
    marker = os.urandom(3).hex()
    slack = FakeSlack()
    slack.add_channel("#dev-team", "C0DEVTEAM")
    # Slack holds every post until the notifier's turn comes (it works while the others are
    # killed), then each post takes a while: with fewer sends in flight at once
    # (notifier.delivery_concurrency, 8) than problems, the notifier is killed with roots still
    # to post however fast it reaches the first (one batch can hold every problem).
    slack.posts_held.set()
    slack.post_delay = 1.0
    errors = _errors(marker)
    fingerprints = {e.data.fingerprint for e in errors}
    assert len(fingerprints) == PROBLEMS
    with serving(slack.app()) as slack_url, ExitStack() as stack:
        env = {
            **fix_config(tmp_path / "config", marker, runbook_url),
            **slack.env(slack_url),
            "ALERTORCH_KAFKA__GROUP_PREFIX": f"kills-{marker}",
            "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "50",
        }

        def start(name: str) -> ServiceProcess:
            return stack.enter_context(running_service(name, bootstrap=own_broker, env=env))

        running = {name: start(name) for name in ("analyzer", "resolver", "notifier")}
        records = [(e.subject.encode(), e.to_json_bytes()) for e in errors]
        half = EVENTS // 2
        # The first half trickles in too: a batch takes a few ms, and the analyzer must still
        # be at it when the test sees a quarter of the half classified.
        first_half = asyncio.create_task(_trickle(own_broker, records[:half]))

        async def classified() -> int:
            return len({e.id for e in await decoded(own_broker, ERRORS_CLASSIFIED)})

        async def decided() -> int:
            return len({e.correlationid for e in await decoded(own_broker, RESOLUTIONS)})

        async def posted() -> int:
            return len({problem_of(m.body) for m in slack.roots()})

        # (service, its progress, killed once it reaches, all there is to do by then)
        stages: list[tuple[str, Progress, int, int]] = [
            ("analyzer", classified, half // 4, half),
            ("resolver", decided, half + half // 4, EVENTS),
            ("notifier", posted, 1, PROBLEMS),
        ]
        trickle: asyncio.Task[None] | None = None
        for name, progress, mid, total in stages:
            if name == "resolver":  # the second half trickles in: still arriving at the kill
                await first_half
                trickle = asyncio.create_task(_trickle(own_broker, records[half:]))
            if name == "notifier":
                slack.posts_held.clear()
            done = await wait_for(progress, mid, 90)
            running[name].stop(signal.SIGKILL)
            assert done < total, f"the {name} had finished before it was killed"
            running[name] = start(name)
        assert trickle is not None
        await trickle
        # A send the kill cut short is sent again once its lease runs out (SEND_LEASE_SECONDS):
        # the notifier's stage may need that long beyond the others.
        for name, progress, _, _ in stages:
            total = PROBLEMS if name == "notifier" else EVENTS
            within = 120 + (SEND_LEASE_SECONDS if name == "notifier" else 0)
            assert await wait_for(progress, total, within) == total
        await asyncio.sleep(3)  # room for a second post or a second fix, if there were one

    counts = counted(await decoded(own_broker, ERRORS_CLASSIFIED))
    assert counts == dict.fromkeys(fingerprints, EVENTS // PROBLEMS), "counts are not exact"
    assert_each_fix_and_root_once(calls, slack, fingerprints)
