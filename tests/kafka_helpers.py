"""Test helpers that talk to the real broker with a plain Kafka client."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.events import Command, Envelope
from shared.topics import COMMANDS
from shared.topics import topic as topic_spec

if TYPE_CHECKING:
    from tests.procs import ServiceProcess

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def produce(
    bootstrap: str, topic: str, values: list[bytes], *, key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def produce_keyed(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """``(key, value)`` records, sent without waiting on each, then all acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = [await producer.send(topic, value=value, key=key) for key, value in records]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str,
    topic: str,
    predicate: Callable[[list[Record]], bool],
    *,
    match: Callable[[Record], bool] = lambda _: True,
    timeout: float = 30.0,
) -> list[Record]:
    """Read ``topic`` from the start (no group) until ``predicate`` holds for the matches."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Record] = []
    try:
        partitions = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + 10
        while not partitions and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
            await asyncio.sleep(0.1)
        assert partitions, f"topic {topic} does not exist"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found.extend(r for r in records if match(r))
            if predicate(found):
                return found
        raise AssertionError(f"timed out on {topic}: {len(found)} matching records: {found[:3]}")
    finally:
        await consumer.stop()


async def kill_mid_stream(
    replica: ServiceProcess,
    bootstrap: str,
    feed: str,
    records: list[tuple[bytes, bytes]],
    *,
    outputs: str,
    kill_at: int,
    match: Callable[[Record], bool],
) -> None:
    """``records`` produced on topic ``feed``, then ``replica`` SIGKILLed once ``kill_at`` of
    its group's outputs (those ``match`` accepts) are on topic ``outputs``: before every record
    was handled, as it asserts."""
    await produce_keyed(bootstrap, feed, records)
    before = await read_until(bootstrap, outputs, lambda r: len(r) >= kill_at, match=match)
    replica.stop(signal.SIGKILL)
    assert len(before) < len(records), "the kill did not land mid-stream"


async def first_event(bootstrap: str, name: str, key: str) -> Envelope:
    """The first event keyed ``key`` on topic ``name``, waited for and decoded."""
    records = await read_until(
        bootstrap, name, lambda found: len(found) >= 1, match=lambda r: r.key == key.encode()
    )
    return topic_spec(name).decode(records[0].value)


async def first_command(bootstrap: str, fingerprint: str) -> Command:
    """The first command on ``commands`` about problem ``fingerprint``, waited for."""
    command = await first_event(bootstrap, COMMANDS, fingerprint)
    assert isinstance(command, Command), command
    return command


async def read_all(
    bootstrap: str, topic: str, *, match: Callable[[Record], bool] = lambda _: True
) -> list[Record]:
    """Every record currently on ``topic``, read from the start (no group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        out: list[Record] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=500)
                out.extend(r for r in batch.get(tp, []) if match(r))
        return out
    finally:
        await consumer.stop()
