"""``make bench``: throughput figures, printed. Targets live here, never in timed tests."""

from __future__ import annotations

import asyncio
import sys

from bench import contracts, intake


def main() -> int:
    print("== contracts (pure, one core) ==")
    contracts.run()
    print("== analyzer intake over the embedded broker ==")
    asyncio.run(intake.run())
    return 0


sys.exit(main())
