"""``make bench``: throughput, latency and quality figures, printed (the pipeline's also written
to ``bench/results/pipeline.json``). Targets live here, never in timed tests; the run exits 1
when a figure with a target misses it."""

from __future__ import annotations

import asyncio
import sys

from bench import (
    analyzer_memory,
    classification,
    contracts,
    grouping,
    intake,
    outbox,
    pipeline,
    storm,
)


def main() -> int:
    print("== contracts (pure, one core) ==")
    contracts.run()
    print("== analyzer classification: speed (pure core, one core), accuracy (labelled set) ==")
    ok = classification.run()
    print("== analyzer grouping (labelled set, Loghub-2k) ==")
    pattern, fingerprint = grouping.run()
    ok = ok and pattern >= grouping.PATTERN_TARGET and fingerprint >= grouping.FINGERPRINT_TARGET
    print("== analyzer intake over the embedded broker ==")
    asyncio.run(intake.run())
    print("== pipeline: the four services as processes on the embedded broker ==")
    ok = asyncio.run(pipeline.run()) and ok
    print("== storm: one error 10,000 times into a fake Slack ==")
    ok = asyncio.run(storm.run()) and ok
    print("== delivery outbox: claims after a storm's history ==")
    asyncio.run(outbox.run())
    print("== analyzer memory: 1,000,000 distinct fingerprints ==")
    ok = asyncio.run(analyzer_memory.run()) and ok
    return 0 if ok else 1


sys.exit(main())
