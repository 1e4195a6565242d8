"""The pipeline against the broker's ceiling, all on one broker in one run.

1. Ceiling: a trivial four-hop forwarder (``bench.forwarder``, one process per hop), and its
   latency at the offered rate: the floor the broker and client put under four hops.
2. Pipeline: the four services as separate processes (``alertorch dev`` on the same broker),
   ``N`` bare alerts over 500 fingerprints published with a plain producer: events per second to
   the last ``resolutions`` record and to the last ``notifications`` record, and the ratio to
   the ceiling (target: at least 0.5).
3. Latency at a steady offered rate: from each alert's publish to its ``errors.classified``,
   ``resolutions`` and ``notifications`` records, p50/p95/p99 (target: p99 at most 100 ms to
   resolutions), and the forwarder's at the same rate (the floor). Measured twice: on the same
   broker once every consumer group has caught up with the burst (the time that takes is
   printed too), and, the figure of record, on a fresh broker with fresh services. The embedded
   broker keeps every record in memory and its work per request grows with the records a topic
   holds (docs/performance.md), so after the burst it measures the broker's growth as much as
   the pipeline.

Figures are printed and written to ``bench/results/pipeline.json``. ``ALERTORCH_BENCH_EVENTS``,
``ALERTORCH_BENCH_RATE`` and ``ALERTORCH_BENCH_SECONDS`` shrink a run (defaults 20000, 200, 60).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.cpu import CpuMeter, services_of
from services.cli.dev import restarts
from services.cli.registry import SERVICES
from shared.config.sections import KafkaSection
from shared.events import RawError
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port
from shared.kafka.lag import consumer_groups
from shared.topics import ERRORS_RAW, topic

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
#: The log of ``alertorch dev`` during the pipeline run (kept for a service that died).
SERVICES_LOG = RESULTS / "pipeline-services.log"
#: The same, for the services of the latency phase on a fresh broker.
FRESH_SERVICES_LOG = RESULTS / "pipeline-fresh-services.log"
#: The same, for the services of the latency phase with keyed alerts (a fresh broker too).
KEYED_SERVICES_LOG = RESULTS / "pipeline-keyed-services.log"
EVENTS = int(os.environ.get("ALERTORCH_BENCH_EVENTS", "20000"))
RATE = float(os.environ.get("ALERTORCH_BENCH_RATE", "200"))
SECONDS = float(os.environ.get("ALERTORCH_BENCH_SECONDS", "60"))
#: The services ``alertorch dev`` runs: every one unless ``ALERTORCH_BENCH_SERVICES`` names
#: some (comma-separated), e.g. the four of the alert path without the console.
BENCH_SERVICES = [
    name.strip()
    for name in os.environ.get("ALERTORCH_BENCH_SERVICES", ",".join(SERVICES)).split(",")
    if name.strip()
]
FINGERPRINTS = 500
HOPS = ["bench.hop0", "bench.hop1", "bench.hop2", "bench.hop3", "bench.hop4"]
SEQ = re.compile(rb"#(\d+)\b")
#: How long the forwarder's latency (the floor) is measured at the offered rate.
FLOOR_SECONDS = 20.0


def _alert(run: str, seq: int, fingerprint: int) -> bytes:
    return json.dumps(
        {
            "title": f"bench {run} worker {fingerprint} failed #{seq}",
            "severity": "medium",
            "source": "bench",
            "dedup_key": f"{run}-{fingerprint}",
        }
    ).encode()


class Tail:
    """Reads a topic from its current end, keeping (record timestamp ms, value) of matches."""

    def __init__(self, bootstrap: str, topic: str, match: Callable[[bytes], bool]) -> None:
        self.bootstrap, self.topic, self.match = bootstrap, topic, match
        self.seen: list[tuple[int, bytes]] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> Tail:
        self._task = asyncio.create_task(self._run())
        await self._ready.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(
            self.topic, bootstrap_servers=self.bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
                await asyncio.sleep(0.05)
            await consumer.seek_to_end()
            for partition in consumer.assignment():
                await consumer.position(partition)
            self._ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=100, max_records=5000)
                for records in batches.values():
                    self.seen.extend(
                        (r.timestamp, r.value) for r in records if r.value and self.match(r.value)
                    )
        finally:
            await consumer.stop()

    async def until(self, done: Callable[[list[tuple[int, bytes]]], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.topic}: {len(self.seen)} records after {timeout:.0f}s")
            await asyncio.sleep(0.1)

    async def settled(self, quiet: float = 5.0, timeout: float = 120.0) -> None:
        """Until no new record came for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        count, since = len(self.seen), time.monotonic()
        while time.monotonic() - since < quiet and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if len(self.seen) != count:
                count, since = len(self.seen), time.monotonic()


async def _publish(bootstrap: str, values: list[bytes], topic: str = "errors.raw") -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.time()
        pending = [await producer.send(topic, value=value) for value in values]
        await asyncio.gather(*pending)
        return started
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def forwarders(bootstrap: str) -> AsyncIterator[None]:
    """The trivial four-hop forwarder (one process per hop) running on ``bootstrap``, each
    hop fetching as the services do; a first record has gone through every hop."""
    await ensure_topics(bootstrap, partitions=6, names=HOPS)
    wait = str(KafkaSection().fetch_max_wait_ms)  # what the services fetch with
    command = [sys.executable, "-m", "bench.forwarder", bootstrap]
    hops = [
        await asyncio.create_subprocess_exec(*command, src, dst, f"hop-{src}", wait, cwd=REPO)
        for src, dst in itertools.pairwise(HOPS)
    ]
    try:
        marker = os.urandom(4).hex().encode()
        async with Tail(bootstrap, HOPS[-1], lambda v: marker in v) as tail:
            await _publish(bootstrap, [marker + b" warm-up"], HOPS[0])
            await tail.until(lambda seen: len(seen) >= 1, timeout=120)
        yield
    finally:
        for hop in hops:
            hop.send_signal(signal.SIGTERM)
        await asyncio.gather(*(hop.wait() for hop in hops))


async def ceiling(bootstrap: str, count: int) -> float:
    """Events per second through the running forwarder: ``count`` events in one burst."""
    marker = os.urandom(4).hex().encode()
    async with Tail(bootstrap, HOPS[-1], lambda v: marker in v) as tail:
        started = await _publish(bootstrap, [marker + b" %d" % i for i in range(count)], HOPS[0])
        await tail.until(lambda seen: len(seen) >= count, timeout=300)
        return count / (max(ts for ts, _ in tail.seen) / 1000 - started)


async def floor(bootstrap: str) -> dict[str, float]:
    """The running forwarder's latency at the offered rate for ``FLOOR_SECONDS``: the floor the
    broker and client put under any four hops."""
    marker = os.urandom(4).hex().encode()
    async with Tail(bootstrap, HOPS[-1], lambda v: marker in v) as tail:
        sent = await _offer(bootstrap, HOPS[0], lambda seq: marker + b" #%d" % seq, FLOOR_SECONDS)
        await tail.until(lambda seen: len(seen) >= len(sent), timeout=120)
    return _percentiles(_delays(tail.seen, sent))


async def _offer(
    bootstrap: str,
    topic: str,
    value: Callable[[int], bytes],
    seconds: float,
    key: Callable[[bytes], bytes] | None = None,
) -> dict[int, float]:
    """Publish ``value(seq)`` (under ``key(value)``, if given) at ``RATE`` a second for
    ``seconds``; when each was sent."""
    sent: dict[int, float] = {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        total = int(RATE * seconds)
        start = time.monotonic()
        for seq in range(total):
            record = value(seq)
            record_key = key(record) if key else None
            await asyncio.sleep(max(0.0, start + seq / RATE - time.monotonic()))
            sent[seq] = time.time()
            await producer.send(
                topic, value=record, key=record_key, timestamp_ms=int(sent[seq] * 1000)
            )
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def _delays(seen: list[tuple[int, bytes]], sent: dict[int, float]) -> list[float]:
    """Milliseconds from each sent record to the first seen record naming its ``#seq``."""
    out: dict[int, float] = {}
    for ts, value in seen:
        found = SEQ.search(value)
        if found and int(found[1]) in sent:
            out.setdefault(int(found[1]), ts / 1000 - sent[int(found[1])])
    return [d * 1000 for d in out.values()]


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive TCP ports on 127.0.0.1, each free now, below Linux's
    ephemeral range (32768 and up): ``alertorch dev --base-port`` binds them one per service,
    and a port in that range can be handed to a client's connection before a service binds it
    (a storm run lost its analyzer four times to ``address already in use``)."""
    for base in random.sample(range(20_000, 32_000, count), 200):
        if all(_free(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports between 20000 and 32000")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _start_services(
    bootstrap: str, workdir: Path, extra: dict[str, str] | None = None, *, log: Path
) -> asyncio.subprocess.Process:
    """``alertorch dev`` on ``bootstrap``, state in ``workdir``, its log (warnings and errors of
    the supervisor and every service) written to ``log``; returns once all are ready."""
    base = free_ports(len(BENCH_SERVICES))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "ALERTORCH_CONFIG_DIR": str(REPO / "config"),
        "ALERTORCH_SYSTEM__LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "dev", "--base-port", str(base),
            "--services", ",".join(BENCH_SERVICES),
            cwd=workdir, env=env, stdout=sink, stderr=sink,
        )  # fmt: skip
    async with httpx.AsyncClient(timeout=2) as client:
        for port in range(base, base + len(BENCH_SERVICES)):
            for _ in range(600):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
    return process


def print_restarts(label: str, log: Path) -> dict[str, int]:
    """Print which services ``alertorch dev`` restarted during a run (its log is ``log``): a
    run whose service died has figures that do not stand for the pipeline."""
    died = restarts(log)
    found = "  ".join(f"{k} {v}" for k, v in sorted(died.items()))
    note = f"{found}  (figures above do not stand; see {log})" if died else "none"
    print(f"{label:<44} {note}")
    return died


def write_results(name: str, document: dict[str, Any], *, services_log: Path | None = None) -> None:
    """``document`` written to ``bench/results/<name>.json``; for a run of the services whose
    ``alertorch dev`` log is ``services_log``, with the services it restarted (printed first,
    :func:`print_restarts`)."""
    if services_log is not None:
        died = print_restarts(f"{name}: services restarted during the run", services_log)
        document = {"service_restarts": died, **document}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")


def _print_latency(label: str, found: dict[str, float]) -> None:
    p = {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), **found}
    print(
        f"{label:<44} p50 {p['p50']:,.0f} ms  p95 {p['p95']:,.0f} ms  "
        f"p99 {p['p99']:,.0f} ms  ({p.get('count', 0):,.0f} events)"
    )


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "count": len(ordered)}


async def cpu_per_event(
    pids: dict[str, int], count: int, work: Callable[[], Awaitable[None]], idle_seconds: float = 5.0
) -> tuple[dict[str, float], dict[str, float]]:
    """Microseconds of CPU each process spends per event while ``work`` runs, less what it
    spends idle (consumers polling, timers) measured just before; and that idle share of a
    core."""
    idle = CpuMeter(pids)
    idle.start()
    await asyncio.sleep(idle_seconds)
    idle_rate = {name: spent / idle_seconds for name, spent in idle.stop().items()}
    meter = CpuMeter(pids)
    meter.start()
    started = time.monotonic()
    await work()
    elapsed = time.monotonic() - started
    per_event = {
        name: max(0.0, spent - idle_rate[name] * elapsed) / count * 1e6
        for name, spent in meter.stop().items()
    }
    return per_event, idle_rate


async def throughput(bootstrap: str, count: int, pids: dict[str, int]) -> dict[str, Any]:
    run = os.urandom(3).hex()
    mine = f"bench {run} ".encode()
    values = [_alert(run, i, i % FINGERPRINTS) for i in range(count)]
    async with (
        Tail(bootstrap, "resolutions", lambda v: mine in v) as resolutions,
        Tail(bootstrap, "notifications", lambda v: mine in v) as notifications,
    ):
        started = 0.0

        async def work() -> None:
            nonlocal started
            started = await _publish(bootstrap, values)
            await resolutions.until(lambda seen: len(seen) >= count, timeout=1800)
            await notifications.settled()

        cpu, idle = await cpu_per_event(pids, count, work)
    last_resolution = max(ts for ts, _ in resolutions.seen) / 1000
    last_notification = max(ts for ts, _ in notifications.seen) / 1000
    return {
        "events": count,
        "to_resolutions_per_second": count / (last_resolution - started),
        "to_notifications_per_second": count / (last_notification - started),
        "notifications": len(notifications.seen),
        "cpu_us_per_event": cpu,
        "cpu_idle_share_of_a_core": idle,
    }


async def caught_up(bootstrap: str, timeout: float = 600.0) -> float:
    """Seconds until every service's consumer group has read everything there is (NaN when
    that takes longer than ``timeout``): the latency phase starts from a pipeline at rest, not
    from one still working off the throughput phase's burst."""
    prefix = KafkaSection().group_prefix
    start = time.monotonic()
    while (waited := time.monotonic() - start) < timeout:
        groups = await consumer_groups(bootstrap, prefix)
        if groups and all(group.total == 0 for group in groups):
            return waited
        await asyncio.sleep(1.0)
    return float("nan")


def fingerprint_key(value: bytes) -> bytes:
    """The key ingest gives an alert it publishes: its fingerprint, so the analyzer takes the
    record as it is, with no re-keying trip."""
    event = topic(ERRORS_RAW).decode(value, coordinates="bench", producer="/alertorch/bench")
    assert isinstance(event, RawError)
    return event.data.fingerprint.encode()


async def latency(
    bootstrap: str, seconds: float, pids: dict[str, int], *, keyed: bool = False
) -> dict[str, Any]:
    """Delays at a steady ``RATE``, and the CPU per event each process spends meanwhile: at a
    steady rate batches are small, so this shows the fixed cost per batch that the burst's
    figure spreads over full batches. Bare alerts, or ``keyed`` by their fingerprint as ingest
    publishes them."""
    run = os.urandom(3).hex()
    mine = f"bench {run} ".encode()
    sent: dict[int, float] = {}
    async with (
        Tail(bootstrap, "errors.classified", lambda v: mine in v) as classified,
        Tail(bootstrap, "resolutions", lambda v: mine in v) as resolutions,
        Tail(bootstrap, "notifications", lambda v: mine in v) as notifications,
    ):

        async def work() -> None:
            offered = await _offer(
                bootstrap,
                ERRORS_RAW,
                lambda seq: _alert(run, seq, seq),
                seconds,
                key=fingerprint_key if keyed else None,
            )
            sent.update(offered)
            await resolutions.until(lambda seen: len(seen) >= len(sent), timeout=600)
            await notifications.settled()

        cpu, _ = await cpu_per_event(pids, int(RATE * seconds), work)
    return {
        "alerts": "keyed by fingerprint" if keyed else "bare",
        "offered_per_second": RATE,
        "seconds": seconds,
        "cpu_us_per_event": cpu,
        "to_classified_ms": _percentiles(_delays(classified.seen, sent)),
        "to_resolutions_ms": _percentiles(_delays(resolutions.seen, sent)),
        "to_notifications_ms": _percentiles(_delays(notifications.seen, sent)),
    }


async def _stop(services: asyncio.subprocess.Process) -> None:
    services.send_signal(signal.SIGINT)
    await asyncio.wait_for(services.wait(), 60)


async def run() -> bool:
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6)
        async with forwarders(bootstrap):
            roof = await ceiling(bootstrap, EVENTS)
            floor_after = await floor(bootstrap)
        print(f"{'ceiling: four-hop plain forwarder':<44} {roof:>10,.0f} events/s")
        print(f"{'pipeline: services run':<44} {', '.join(BENCH_SERVICES)}")
        _print_latency(f"floor: the forwarder at {RATE:.0f}/s, after it", floor_after)
        with tempfile.TemporaryDirectory(prefix="alertorch-bench-") as workdir:
            services = await _start_services(bootstrap, Path(workdir), log=SERVICES_LOG)
            pids = {**services_of(services.pid), "broker": broker.pid or 0}
            try:
                flow = await throughput(bootstrap, EVENTS, pids)
                ratio = float(flow["to_resolutions_per_second"]) / roof
                print(
                    f"{'pipeline: bare alerts to resolutions':<44} "
                    f"{flow['to_resolutions_per_second']:>10,.0f} events/s  "
                    f"(ratio to ceiling {ratio:.3f}; target >= 0.5)"
                )
                print(
                    f"{'pipeline: bare alerts to notifications':<44} "
                    f"{flow['to_notifications_per_second']:>10,.0f} events/s  "
                    f"({flow['notifications']:,.0f} notifications)"
                )
                cpu = "  ".join(f"{k} {v:,.0f}" for k, v in flow["cpu_us_per_event"].items())
                print(f"{'pipeline: CPU per event (µs, idle removed)':<44} {cpu}")
                idle = "  ".join(
                    f"{k} {v:.0%}" for k, v in flow["cpu_idle_share_of_a_core"].items()
                )
                print(f"{'pipeline: CPU at rest (share of a core)':<44} {idle}")
                settled = await caught_up(bootstrap)
                flow["caught_up_seconds"] = settled
                print(f"{'pipeline: every consumer caught up after':<44} {settled:>10,.1f} s")
                after_burst = await latency(bootstrap, SECONDS, pids)
            finally:
                await _stop(services)
        _print_timing("after the burst", after_burst)
    # The embedded broker's work per request grows with the records a topic holds (memory
    # storage; see docs/performance.md), so the latency of record is taken on a fresh one.
    floor_fresh, timing = await on_fresh_broker(FRESH_SERVICES_LOG, keyed=False)
    _print_latency(f"floor: the forwarder at {RATE:.0f}/s, fresh broker", floor_fresh)
    _print_timing("fresh broker", timing)
    died = print_restarts("pipeline: services restarted, fresh broker", FRESH_SERVICES_LOG)
    # The same alerts keyed by their fingerprint, as ingest publishes them: no re-keying trip.
    # Beside the bare alerts' figure, it shows what that trip costs. Its broker gets the same
    # history (the forwarder's floor first), so the two figures compare; the floor is kept too.
    floor_keyed, keyed = await on_fresh_broker(KEYED_SERVICES_LOG, keyed=True)
    _print_latency(f"floor: the forwarder at {RATE:.0f}/s, keyed phase", floor_keyed)
    _print_timing("keyed, fresh broker", keyed)
    died_keyed = print_restarts("pipeline: services restarted, keyed", KEYED_SERVICES_LOG)
    document = {
        "services": BENCH_SERVICES,
        "ceiling_events_per_second": roof,
        "floor_four_hops_ms": floor_fresh,
        "floor_four_hops_after_burst_ms": floor_after,
        "floor_four_hops_keyed_ms": floor_keyed,
        **flow,
        "ratio_to_ceiling": ratio,
        "latency": timing,
        "latency_after_burst": after_burst,
        "latency_keyed": keyed,
        "service_restarts_fresh_broker": died,
        "service_restarts_keyed": died_keyed,
        "targets": {"ratio_to_ceiling": 0.5, "p99_to_resolutions_ms": 100},
    }
    write_results("pipeline", document, services_log=SERVICES_LOG)
    p99 = float(timing["to_resolutions_ms"].get("p99", float("inf")))
    return ratio >= 0.5 and p99 <= 100


async def on_fresh_broker(log: Path, *, keyed: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """On a new broker: the forwarder's latency at ``RATE`` (the floor), then new services'
    (empty state), whose warnings go to ``log``."""
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6)
        async with forwarders(bootstrap):
            floor_fresh = await floor(bootstrap)
        with tempfile.TemporaryDirectory(prefix="alertorch-bench-") as workdir:
            services = await _start_services(bootstrap, Path(workdir), log=log)
            pids = {**services_of(services.pid), "broker": broker.pid or 0}
            try:
                timing = await latency(bootstrap, SECONDS, pids, keyed=keyed)
            finally:
                await _stop(services)
    return floor_fresh, timing


def _print_timing(when: str, timing: dict[str, Any]) -> None:
    for hop in ("to_classified_ms", "to_resolutions_ms", "to_notifications_ms"):
        label = f"latency at {RATE:.0f}/s, {hop.replace('_ms', '')}, {when}"
        _print_latency(label, timing[hop])
    cpu = "  ".join(f"{k} {v:,.0f}" for k, v in timing["cpu_us_per_event"].items())
    print(f"{f'latency at {RATE:.0f}/s, CPU per event (µs), {when}':<44} {cpu}")
