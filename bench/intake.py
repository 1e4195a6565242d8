"""End to end through a real broker: bare alerts in, ClassifiedErrors out, by the analyzer
running as its own process (one analyzer holds every partition, so it classifies each bare alert
where it lands, with no re-keying trip)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port

COUNT = 2000


async def run() -> None:
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        started = time.perf_counter()
        futures = [
            await producer.send(
                "errors.raw",
                json.dumps(
                    {
                        "title": f"job {i} failed",
                        "severity": "medium",
                        "source": "bench",
                        "dedup_key": f"job-{i}",
                    }
                ).encode(),
            )
            for i in range(COUNT)
        ]
        for future in futures:
            await future
        await producer.stop()
        produced = time.perf_counter() - started
        print(f"{'produce bare alerts (plain aiokafka)':<44} {COUNT / produced:>10,.0f} per second")

        state = tempfile.TemporaryDirectory()  # a fresh store: no offsets of an earlier run
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "ALERTORCH_SYSTEM__LOG_LEVEL": "WARNING",
            "ALERTORCH_STORAGE__DATA_DIRECTORY": state.name,
        }
        analyzer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.cli",
            "analyzer",
            "--port",
            str(free_port()),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            started = time.perf_counter()
            seen = await _count_classified(bootstrap, COUNT)
            elapsed = time.perf_counter() - started
        finally:
            analyzer.terminate()
            await asyncio.wait_for(analyzer.wait(), 30)
            state.cleanup()
        print(
            f"{'analyzer intake: ClassifiedErrors out':<44} {seen / elapsed:>10,.0f} per second"
            f"  ({seen:,} in {elapsed:.1f} s, start-up and group join included)"
        )


async def _count_classified(bootstrap: str, count: int) -> int:
    """The records on ``errors.classified``, once ``count`` are there (or after 300 s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition("errors.classified", p)
            for p in consumer.partitions_for_topic("errors.classified") or range(6)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        seen = 0
        deadline = time.monotonic() + 300
        while seen < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(records) for records in batch.values())
        return seen
    finally:
        await consumer.stop()
