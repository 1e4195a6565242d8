"""The broker's ceiling for a four-hop pipeline: a trivial forwarder, one process per hop.

``python -m bench.forwarder BOOTSTRAP SOURCE TARGET GROUP [FETCH_MAX_WAIT_MS]``: batched reads
(``getmany``), sends not awaited one by one, a flush, a commit per batch, until stopped.
Nothing else: no decoding, no state. What our services do per hop is measured against this.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def forward(
    bootstrap: str, source: str, target: str, group: str, fetch_max_wait_ms: str = "500"
) -> None:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=int(fetch_max_wait_ms),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await consumer.start()
    await producer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=10, max_records=1000)
            pending = [
                await producer.send(target, value=record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(forward(*sys.argv[1:6]))
