"""Outputs sent while a block runs: the block's end waits for every acknowledgement."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shared.events import lift_custom_alert
from shared.kafka.producer import Output, published_meanwhile
from shared.topics import ERRORS_RAW


class SlowBroker:
    """Acknowledges after ``delay`` seconds, or refuses."""

    def __init__(self, *, delay: float = 0.05, refuse: bool = False) -> None:
        self.delay, self.refuse = delay, refuse
        self.acknowledged: list[Output] = []

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        await asyncio.sleep(self.delay)
        if self.refuse:
            raise ConnectionError("broker unavailable")
        self.acknowledged.extend(outputs)


def _outputs() -> list[Output]:
    alert = {"title": "Disk full", "severity": "high", "source": "jobs"}
    event = lift_custom_alert(alert, origin="custom", producer="/test")
    return [Output(ERRORS_RAW, event, event.data.fingerprint)]


async def test_the_block_runs_while_the_broker_acknowledges_and_its_end_waits() -> None:
    broker, outputs = SlowBroker(), _outputs()
    async with published_meanwhile(broker, outputs):
        await asyncio.sleep(0)
        assert broker.acknowledged == []  # sent, not yet acknowledged: the block goes on
    assert broker.acknowledged == outputs


async def test_a_refused_output_fails_the_block_after_it_ran() -> None:
    ran = []
    with pytest.raises(ConnectionError):
        async with published_meanwhile(SlowBroker(refuse=True), _outputs()):
            ran.append(True)
    assert ran == [True]


async def test_the_blocks_own_error_still_waits_for_the_sends() -> None:
    broker, outputs = SlowBroker(), _outputs()
    with pytest.raises(KeyError):
        async with published_meanwhile(broker, outputs):
            raise KeyError("state")
    assert broker.acknowledged == outputs  # nothing left running behind the error


async def test_nothing_to_send_sends_nothing() -> None:
    broker = SlowBroker(refuse=True)
    async with published_meanwhile(broker, []):
        pass
