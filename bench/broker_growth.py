"""What the embedded broker's work per request grows with (``python -m bench.broker_growth``).

Three topics of 6 partitions on one fresh embedded broker: one left empty, one given
``ALERTORCH_BENCH_RECORDS`` records (default 20,000) one produce request each (a record a
batch, as a producer that sends each record alone writes them), one given as many records in
a few large batches. Then, on each topic in turn, a probe: a consumer reading from the end
(fetching as the services do) while a producer sends 100 records a second for 10 s, one at a
time; printed is the broker's CPU over the probe, as a share of one core.
"""

from __future__ import annotations

import asyncio
import os
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.cpu import cpu_seconds
from shared.config.sections import KafkaSection
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port

RECORDS = int(os.environ.get("ALERTORCH_BENCH_RECORDS", "20000"))
PROBE_SECONDS = 10
PROBE_RATE = 100
_VALUE = b"x" * 300


def _key(seq: int) -> bytes:
    return b"%d" % (seq % 500)


async def probe(bootstrap: str, topic: str, broker_pid: int) -> float:
    """The broker's CPU (share of a core) while ``topic`` is read from its end and written
    ``PROBE_RATE`` records a second, one a request."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"growth-{topic}",
        auto_offset_reset="latest",
        fetch_max_wait_ms=KafkaSection().fetch_max_wait_ms,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await consumer.start()
    await producer.start()

    async def read() -> None:
        while True:
            await consumer.getmany(timeout_ms=100)

    reading = asyncio.create_task(read())
    try:
        await asyncio.sleep(2.0)  # the consumer has joined and sits at the end
        spent, started = cpu_seconds(broker_pid), time.monotonic()
        for seq in range(PROBE_SECONDS * PROBE_RATE):
            await producer.send_and_wait(topic, _VALUE, key=_key(seq))
            await asyncio.sleep(max(0.0, started + (seq + 1) / PROBE_RATE - time.monotonic()))
        return (cpu_seconds(broker_pid) - spent) / (time.monotonic() - started)
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await producer.stop()
        await consumer.stop()


async def run() -> dict[str, float]:
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap, pid = broker.bootstrap_servers, broker.pid or 0
        names = ["growth.empty", "growth.one-a-batch", "growth.large-batches"]
        await ensure_topics(bootstrap, partitions=6, names=names)
        single = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        bulk = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, max_batch_size=1 << 20)
        await single.start()
        await bulk.start()
        try:
            for seq in range(RECORDS):
                await single.send_and_wait(names[1], _VALUE, key=_key(seq))
            for seq in range(RECORDS):
                await bulk.send(names[2], _VALUE, key=_key(seq))
            await bulk.flush()
        finally:
            await single.stop()
            await bulk.stop()
        found = {name: await probe(bootstrap, name, pid) for name in names}
    labels = {
        names[0]: "empty topic",
        names[1]: f"{RECORDS:,} records, one a batch",
        names[2]: f"{RECORDS:,} records, in large batches",
    }
    for name, share in found.items():
        print(f"{'broker CPU, ' + labels[name]:<52} {share:>6.0%} of a core")
    return found


if __name__ == "__main__":
    asyncio.run(run())
