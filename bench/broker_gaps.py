"""Whether a consumer of the embedded broker skips records (``python -m bench.broker_gaps``).

No service of ours runs. On one fresh embedded broker, a producer writes 200 records a second
to a topic of 6 partitions, one record a request, for ``ALERTORCH_BENCH_SECONDS`` (default 90);
a consumer reads the topic and writes a copy of each of those records back to the same topic
under a key, as the analyzer re-keys bare alerts, with ``ALERTORCH_BENCH_WORK_MS`` (default 10)
of pretended work per batch. Every offset the consumer is given is checked against the one
before it on its partition: a jump is a record it was never given. The consumer does what the
services' runner does (``shared.runner.gaps``): it reads the partition again from the missing
offset, and notes whether the record came that time. Printed: each jump and whether reading
again gave the record, then the records written, read, skipped and recovered.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.config.sections import KafkaSection
from shared.kafka.admin import ensure_topics
from shared.kafka.consumed import Consumed
from shared.kafka.embedded import EmbeddedBroker, free_port
from shared.runner.gaps import OffsetGaps

SECONDS = float(os.environ.get("ALERTORCH_BENCH_SECONDS", "90"))
WORK_SECONDS = float(os.environ.get("ALERTORCH_BENCH_WORK_MS", "10")) / 1000
RATE = 200
TOPIC = "gaps.records"


class Reader:
    """Reads ``TOPIC``, writes a keyed copy of each first-hand record back, notes every offset it
    was not given and reads its partition again from there."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            TOPIC,
            bootstrap_servers=bootstrap,
            group_id="gaps",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=KafkaSection().fetch_max_wait_ms,
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
        self.gaps = OffsetGaps(service="bench")
        self.pending: set[tuple[int, int]] = set()
        self.skipped: list[tuple[int, int]] = []
        self.recovered: list[tuple[int, int]] = []
        self.read = 0

    async def run(self, stop: asyncio.Event) -> None:
        await self.consumer.start()
        await self.producer.start()
        try:
            while not stop.is_set():
                batches = await self.consumer.getmany(timeout_ms=100, max_records=500)
                sends = []
                for record in self._admit(batches):
                    if record.value and record.value.startswith(b"first "):
                        seq = int(record.value.split()[1])
                        key = b"%d" % (seq % 500)
                        sends.append(await self.producer.send(TOPIC, b"copy %d" % seq, key=key))
                await asyncio.gather(*sends)
                await asyncio.sleep(WORK_SECONDS)
                await self.consumer.commit()
        finally:
            await self.producer.stop()
            await self.consumer.stop()

    def _admit(self, batches: dict[TopicPartition, list[Any]]) -> list[Consumed]:
        admitted = self.gaps.admit(
            [Consumed.from_record(r) for records in batches.values() for r in records]
        )
        for message in admitted.messages:
            if (message.partition, message.offset) in self.pending:
                self.pending.discard((message.partition, message.offset))
                self.recovered.append((message.partition, message.offset))
                print(
                    f"partition {message.partition}: offset {message.offset} given when read again",
                    flush=True,
                )
        for (topic, partition), offset in admitted.refetch.items():
            print(f"partition {partition}: offset {offset} not given", flush=True)
            self.skipped.append((partition, offset))
            self.pending.add((partition, offset))
            self.consumer.seek(TopicPartition(topic, partition), offset)
        self.read += len(admitted.messages)
        return admitted.messages


async def run() -> int:
    """The number of records the reader was not given even when it read again."""
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6, names=[TOPIC])
        reader, stop = Reader(bootstrap), asyncio.Event()
        reading = asyncio.create_task(reader.run(stop))
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
        await producer.start()
        written, started = 0, time.monotonic()
        try:
            while time.monotonic() - started < SECONDS:
                await producer.send(TOPIC, b"first %d" % written)
                written += 1
                await asyncio.sleep(max(0.0, started + written / RATE - time.monotonic()))
            await producer.flush()
        finally:
            await producer.stop()
        await asyncio.sleep(5.0)  # the reader catches up
        stop.set()
        await reading
    print(
        f"written first-hand {written:,}, read {reader.read:,} (first-hand and copies), "
        f"offsets not given to the reader {len(reader.skipped)}, given when read again "
        f"{len(reader.recovered)}"
    )
    return len(reader.skipped) - len(reader.recovered)


if __name__ == "__main__":
    asyncio.run(run())
