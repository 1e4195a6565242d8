"""``make bench``: throughput and quality figures, printed. Targets live here, never in timed
tests; the run exits 1 when a figure misses its target."""

from __future__ import annotations

import asyncio
import sys

from bench import classification, contracts, grouping, intake


def main() -> int:
    print("== contracts (pure, one core) ==")
    contracts.run()
    print("== analyzer classification (pure core, one core) ==")
    ok = classification.run()
    print("== analyzer grouping on the labelled set ==")
    grouping.run()
    print("== analyzer intake over the embedded broker ==")
    asyncio.run(intake.run())
    return 0 if ok else 1


sys.exit(main())
