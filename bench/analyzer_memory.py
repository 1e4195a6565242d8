"""The analyzer's memory after many distinct problems: N events, each its own fingerprint, through
the analyzer running as its own process on the embedded broker (state in its SQLite store).

Printed: the analyzer's resident memory (``VmRSS``) and peak (``VmHWM``) once every event is
classified, and the throughput. Target: at most 300 MB after 1,000,000 fingerprints seen within
``analyzer.state_ttl_hours``. Written to ``bench/results/analyzer_memory.json``;
``ALERTORCH_BENCH_FINGERPRINTS`` changes N (default 1,000,000).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.pipeline import REPO, write_results
from shared.events import lift_custom_alert
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port

FINGERPRINTS = int(os.environ.get("ALERTORCH_BENCH_FINGERPRINTS", "1000000"))
LIMIT_MB = 300


def _status(pid: int) -> dict[str, int]:
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found


async def _produce(bootstrap: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        pending = []
        for i in range(count):
            event = lift_custom_alert(
                {"title": f"worker {i} failed", "severity": "low", "source": "bench",
                 "dedup_key": f"fp-{i}"},
                origin="custom",
                producer="/bench",
            )  # fmt: skip
            key = event.data.fingerprint.encode()
            pending.append(await producer.send("errors.raw", event.to_json_bytes(), key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _classified(bootstrap: str, count: int, pid: int) -> int:
    consumer = AIOKafkaConsumer(
        "errors.classified",
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen, last_report = 0, time.monotonic()
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(records) for records in batches.values())
            if time.monotonic() - last_report > 30:
                rss = _status(pid).get("VmRSS", 0) / 2**20
                print(f"  ... {seen:,} of {count:,} classified, analyzer RSS {rss:,.0f} MB")
                last_report = time.monotonic()
    finally:
        await consumer.stop()
    return seen


async def run() -> bool:
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6)
        await _produce(bootstrap, FINGERPRINTS)
        with tempfile.TemporaryDirectory(prefix="alertorch-memory-") as workdir:
            env = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "ALERTORCH_CONFIG_DIR": str(REPO / "config"),
                "ALERTORCH_SYSTEM__LOG_LEVEL": "WARNING",
            }
            analyzer = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", "analyzer", "--port", str(free_port()),
                cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                started = time.monotonic()
                seen = await _classified(bootstrap, FINGERPRINTS, analyzer.pid)
                elapsed = time.monotonic() - started
                memory = _status(analyzer.pid)
            finally:
                analyzer.terminate()
                await asyncio.wait_for(analyzer.wait(), 60)
    rss, peak = memory["VmRSS"] / 2**20, memory["VmHWM"] / 2**20
    print(
        f"{'analyzer RSS after ' + format(seen, ',') + ' fingerprints':<44} {rss:>10,.0f} MB"
        f"  (peak {peak:,.0f} MB; target <= {LIMIT_MB} MB)"
    )
    print(f"{'analyzer, distinct fingerprints':<44} {seen / elapsed:>10,.0f} events/s")
    write_results(
        "analyzer_memory",
        {
            "fingerprints": seen,
            "rss_mb": rss,
            "peak_mb": peak,
            "events_per_second": seen / elapsed,
            "target_mb": LIMIT_MB,
        },
    )
    return peak <= LIMIT_MB
