"""A consumer not given an offset reads its partition again from it, on the real broker.

The embedded broker now and then leaves a record out of what a consumer is given (see
``shared.runner.gaps``). It does so too rarely to wait for, so these tests make the consumer's
client drop chosen records from what it fetched, as the broker does: the client's position then
moves past them, and only the runner can notice.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from aiokafka.consumer.fetcher import Fetcher

from shared.kafka.admin import ensure_topics
from shared.metrics import REGISTRY
from tests.kafka_helpers import produce
from tests.runner_helpers import committed, consuming

pytestmark = pytest.mark.broker

COUNT = 10


@pytest.fixture(autouse=True)
def broker_env(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)


@pytest.fixture
def dropped(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, int], int]:
    """``(topic, offset)`` → how many more fetches leave that record out."""
    drops: dict[tuple[str, int], int] = {}
    fetched_records = Fetcher.fetched_records

    async def leaving_out(self: Fetcher, *args: Any, **kwargs: Any) -> dict[Any, list[Any]]:
        drained: dict[Any, list[Any]] = await fetched_records(self, *args, **kwargs)
        for records in drained.values():
            for record in list(records):
                left = drops.get((record.topic, record.offset), 0)
                if left:
                    drops[(record.topic, record.offset)] = left - 1
                    records.remove(record)
        return drained

    monkeypatch.setattr(Fetcher, "fetched_records", leaving_out)
    return drops


async def _topic(bootstrap: str) -> str:
    name = f"gaps-{os.urandom(4).hex()}"
    await ensure_topics(bootstrap, partitions=1, names=[name])
    await produce(bootstrap, name, [b"%d" % n for n in range(COUNT)])
    return name


async def _until_committed(bootstrap: str, group: str, topic: str) -> None:
    for _ in range(300):
        if await committed(bootstrap, group, topic) == COUNT:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{group} never committed {COUNT} on {topic}")


def _gaps(topic: str, outcome: str) -> float:
    labels = {"service": "gapstest", "topic": topic, "outcome": outcome}
    return REGISTRY.get_sample_value("alertorch_offset_gaps_total", labels) or 0.0


async def test_a_record_left_out_once_is_read_again_and_handled_once_in_order(
    kafka_bootstrap: str, dropped: dict[tuple[str, int], int]
) -> None:
    topic = await _topic(kafka_bootstrap)
    dropped[(topic, 3)] = 1
    handled: list[int] = []
    async with consuming("gapstest", topic, handled) as group:
        await _until_committed(kafka_bootstrap, group, topic)
    assert handled == list(range(COUNT))
    assert dropped[(topic, 3)] == 0  # the client did leave it out
    assert (_gaps(topic, "refetched"), _gaps(topic, "passed")) == (1.0, 0.0)


async def test_without_the_refetch_the_left_out_record_is_lost(
    kafka_bootstrap: str, dropped: dict[tuple[str, int], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTORCH_KAFKA__REFETCH_SKIPPED_OFFSETS", "false")
    topic = await _topic(kafka_bootstrap)
    dropped[(topic, 3)] = 1
    handled: list[int] = []
    async with consuming("gapstest", topic, handled) as group:
        await _until_committed(kafka_bootstrap, group, topic)
    assert handled == [0, 1, 2, *range(4, COUNT)]
    assert _gaps(topic, "refetched") == 0.0


async def test_a_gap_still_there_when_read_again_is_passed_not_waited_on(
    kafka_bootstrap: str, dropped: dict[tuple[str, int], int]
) -> None:
    topic = await _topic(kafka_bootstrap)
    dropped[(topic, 3)] = 1_000  # as a compacted record or a transaction marker: never there
    dropped[(topic, 7)] = 2  # left out of the first read and of the second, from 3
    handled: list[int] = []
    async with consuming("gapstest", topic, handled) as group:
        await _until_committed(kafka_bootstrap, group, topic)
    assert handled == [0, 1, 2, *range(4, COUNT)]
    assert dropped[(topic, 7)] == 0
    assert (_gaps(topic, "refetched"), _gaps(topic, "passed")) == (2.0, 1.0)
