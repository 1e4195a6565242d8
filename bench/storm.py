"""A storm: 10,000 copies of one error through the four services into a local fake Slack.

The fake speaks Slack's Web API (``tests/fakes/slack.py``, served over HTTP) and counts every
call. Printed: the Slack calls made, and the time from the first publish until a root message
shows the exact count (target: at most 20 calls, and the exact count). Written to
``bench/results/storm.json``. ``ALERTORCH_BENCH_STORM`` changes the number of copies.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.pipeline import REPO, RESULTS, _publish, _start_services, write_results
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack

COPIES = int(os.environ.get("ALERTORCH_BENCH_STORM", "10000"))
TIMEOUT = 300.0
QUIET = 15.0
#: The log of ``alertorch dev`` during the storm (kept for a service that died).
SERVICES_LOG = RESULTS / "storm-services.log"


async def run() -> bool:
    fake = FakeSlack()
    # Every channel the shipped escalation rules name exists, as it would in a real workspace.
    for name, channel_id in (("#dev-team", "C0DEVTEAM"), ("#management", "C0MANAGEMENT")):
        fake.add_channel(name, channel_id)
    count = f"{COPIES:,}"
    with serving(fake.app()) as slack_url:
        async with EmbeddedBroker(port=free_port()) as broker:
            bootstrap = broker.bootstrap_servers
            await ensure_topics(bootstrap, partitions=6)
            env = {
                "SLACK_BOT_TOKEN": fake.token,
                "SLACK_SIGNING_SECRET": "bench-signing-secret",
                "ALERTORCH_SLACK__API_URL": f"{slack_url}/api/",
            }
            with tempfile.TemporaryDirectory(prefix="alertorch-storm-") as workdir:
                services = await _start_services(bootstrap, Path(workdir), env, log=SERVICES_LOG)
                try:
                    run_id = os.urandom(3).hex()
                    alert = {
                        "title": f"Payment provider timeout storm {run_id}",
                        "severity": "high",
                        "source": "billing",
                        "dedup_key": f"storm-{run_id}",
                    }
                    started = await _publish(bootstrap, [json.dumps(alert).encode()] * COPIES)
                    exact_after = None
                    deadline = time.monotonic() + TIMEOUT
                    while time.monotonic() < deadline:
                        if any(m.occurrences == COPIES for m in fake.roots()):
                            exact_after = time.time() - started
                            break
                        await asyncio.sleep(0.2)
                    await asyncio.sleep(QUIET)  # nothing more should be sent
                finally:
                    services.send_signal(signal.SIGINT)
                    await asyncio.wait_for(services.wait(), 60)
    calls = sum(fake.calls.values())
    shown = "never" if exact_after is None else f"{exact_after:.1f} s"
    print(f"{'storm: Slack calls for ' + count + ' copies':<44} {calls:>10,} calls  (target <= 20)")
    print(f"{'storm: until a root shows the exact count':<44} {shown:>10}")
    print(f"{'':<44} {dict(fake.calls)}")
    for root in fake.roots():
        print(f"{'storm: root in ' + root.channel:<44} {root.occurrences:>10,}")
    document = {
        "copies": COPIES,
        "slack_calls": calls,
        "calls_by_method": dict(fake.calls),
        "seconds_to_exact_count": exact_after,
        "targets": {"slack_calls": 20, "exact_count": True},
    }
    write_results("storm", document, services_log=SERVICES_LOG)
    return calls <= 20 and exact_after is not None


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(0 if asyncio.run(run()) else 1)
