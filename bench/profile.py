"""Where each service's CPU goes, by kind of work (``make profile``).

On a fresh embedded broker, ``alertorch dev`` runs the services as separate processes, and
py-spy samples each one (100 a second, without pausing it, only threads holding the GIL)
through two phases: a burst of ``ALERTORCH_BENCH_EVENTS`` bare alerts over 500 fingerprints,
then alerts offered at a steady ``ALERTORCH_BENCH_RATE`` a second for
``ALERTORCH_BENCH_SECONDS`` (the pipeline benchmark's phases and settings). Each sampled
stack counts for the kind of work of its innermost frame
that has one (:data:`KINDS`): the SQL driver and SQLAlchemy are storage, aiokafka is the Kafka
client, JSON and pydantic are the codec, and so on. A kind's share of a service's samples times
the service's CPU per event (from ``/proc``, less its CPU at rest) is what that kind costs an
event in that service.

Printed as a table per phase and written to ``bench/results/profile.json``. Not part of
``make bench``: sampling costs the services some CPU of its own.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from bench.cpu import services_of
from bench.pipeline import (
    EVENTS,
    RATE,
    RESULTS,
    SECONDS,
    _start_services,
    _stop,
    latency,
    throughput,
    write_results,
)
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port

#: Kinds of work, each with the parts of a frame's file path that mark it; the first kind that
#: marks a stack's innermost marked frame is the stack's.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("storage", ("sqlalchemy/", "aiosqlite/", "sqlite3/", "asyncpg/", "shared/storage/")),
    ("kafka client", ("aiokafka/", "kafka/")),
    ("codec", ("json/", "pydantic/", "pydantic_core/", "shared/events/", "shared/topics")),
    ("logs and metrics", ("structlog/", "logging/", "prometheus_client/")),
    ("loop and framework", ("faststream/", "asyncio/", "uvloop/", "anyio/", "threading.py")),
    ("service's own work", ("services/", "shared/", "drain3/", "bench/")),
)
OTHER = "other"
COLUMNS = [kind for kind, _ in KINDS] + [OTHER]
_FRAME_FILE = re.compile(r"\(([^():]+):\d+\)$")
_SAMPLE_RATE = "100"
PROFILES = RESULTS / "profile"
#: The services' warnings and errors during the run.
SERVICES_LOG = RESULTS / "profile-services.log"


def kind_of(stack: str) -> str:
    """The kind of work of one collapsed stack (frames outermost first, ``;`` between)."""
    for frame in reversed(stack.split(";")):
        found = _FRAME_FILE.search(frame)
        if not found:
            continue
        path = found[1]
        for kind, marks in KINDS:
            if any(mark in path for mark in marks):
                return kind
    return OTHER


def shares(collapsed: str) -> dict[str, float]:
    """Each kind's share of the samples in py-spy's raw output (``stack count`` a line)."""
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[kind_of(stack)] += int(count)
    total = sum(counts.values())
    return {kind: counts[kind] / total if total else 0.0 for kind in COLUMNS}


def per_event(
    cpu_us: Mapping[str, float], sampled: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """Microseconds per event of each kind in each sampled service."""
    return {
        service: {kind: share * cpu_us.get(service, 0.0) for kind, share in kinds.items()}
        for service, kinds in sampled.items()
    }


def _py_spy() -> str:
    """py-spy, installed with the dev extras beside this interpreter or on the path."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"


async def sample(
    pids: Mapping[str, int], phase: str, work: Callable[[], Awaitable[dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """Run ``work`` with py-spy sampling each process of ``pids``; its result, and each
    process's shares of samples by kind."""
    PROFILES.mkdir(parents=True, exist_ok=True)
    outputs = {name: PROFILES / f"{phase}-{name}.txt" for name in pids}
    logs = {name: path.with_suffix(".log") for name, path in outputs.items()}
    for path in (*outputs.values(), *logs.values()):
        path.unlink(missing_ok=True)  # never read an earlier run's samples as this one's
    samplers = {}
    for name, pid in pids.items():
        argv = ["record", "--pid", str(pid), "--rate", _SAMPLE_RATE, "--format", "raw"]
        argv += ["--gil", "--nonblocking", "--output", str(outputs[name])]
        with logs[name].open("wb") as log:
            samplers[name] = await asyncio.create_subprocess_exec(
                _py_spy(), *argv, stdout=log, stderr=log
            )
    await asyncio.sleep(1.0)  # every sampler attached
    try:
        result = await work()
    finally:
        for sampler in samplers.values():
            sampler.send_signal(signal.SIGINT)
        await asyncio.gather(*(sampler.wait() for sampler in samplers.values()))
    found: dict[str, dict[str, float]] = {}
    for name, path in outputs.items():
        if not path.exists():  # py-spy could not attach (ptrace not allowed) or failed
            said = logs[name].read_text(errors="replace").strip()[-300:]
            raise RuntimeError(f"py-spy sampled nothing of {name}: {said}")
        found[name] = shares(path.read_text())
    return result, found


def print_table(
    title: str, cpu_us: Mapping[str, float], table: Mapping[str, Mapping[str, float]]
) -> None:
    print(f"{title}: CPU per event (µs) by kind of work")
    print(f"  {'service':<10} {'all':>7} " + " ".join(f"{kind:>12.12}" for kind in COLUMNS))
    for service, kinds in table.items():
        cells = " ".join(f"{kinds[kind]:>12,.0f}" for kind in COLUMNS)
        print(f"  {service:<10} {cpu_us.get(service, 0.0):>7,.0f} {cells}")


async def run() -> None:
    async with EmbeddedBroker(port=free_port()) as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, partitions=6)
        with tempfile.TemporaryDirectory(prefix="alertorch-profile-") as workdir:
            services = await _start_services(bootstrap, Path(workdir), log=SERVICES_LOG)
            pids = services_of(services.pid)
            pids.pop("ingest", None)  # not on the bare alerts' path
            metered = {**pids, "broker": broker.pid or 0}
            try:
                burst, burst_shares = await sample(
                    pids, "burst", lambda: throughput(bootstrap, EVENTS, metered)
                )
                steady, steady_shares = await sample(
                    pids, "steady", lambda: latency(bootstrap, SECONDS, metered)
                )
            finally:
                await _stop(services)
    document: dict[str, Any] = {"events": EVENTS, "rate": RATE, "seconds": SECONDS}
    for phase, result, found in (
        (f"burst of {EVENTS:,} alerts", burst, burst_shares),
        (f"{RATE:.0f} alerts/s for {SECONDS:.0f} s", steady, steady_shares),
    ):
        cpu_us = result["cpu_us_per_event"]
        table = per_event(cpu_us, found)
        print_table(phase, cpu_us, table)
        print(f"  {'broker':<10} {cpu_us.get('broker', 0.0):>7,.0f} (not sampled)")
        document[phase] = {"cpu_us_per_event": cpu_us, "by_kind_us_per_event": table}
    write_results("profile", document, services_log=SERVICES_LOG)


if __name__ == "__main__":
    if not Path(_py_spy()).exists() and not shutil.which("py-spy"):
        sys.exit("make profile needs py-spy: pip install -e '.[dev]'")
    asyncio.run(run())
