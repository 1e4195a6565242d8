"""Poison on every topic, with every consuming service running as a process on a broker of its
own: each service dead-letters each poison message it reads (to the topic's ``.dlq`` twin, with
the original bytes and its name in a header), reads on past it, stays ready, and an alert sent
after the poison, in the same partitions, still flows through to Slack, once."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from shared.events import lift_custom_alert
from shared.kafka.dlq import H_SERVICE
from shared.kafka.lag import consumer_groups
from shared.topics import ERRORS_RAW, TOPICS, topic
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.faults.pipeline import REPO, problem_of, wait_for
from tests.kafka_helpers import produce_keyed, read_all
from tests.procs import running_service, wait_http

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

SERVICES = ("analyzer", "resolver", "notifier", "api")
#: What each service reads, by the registry: (service, topic).
READS = sorted(
    (service, spec.name) for spec in TOPICS for service in spec.consumers if service in SERVICES
)


# four service processes start at once (~20 s of CPU between them), then all settles in seconds
@pytest.mark.timeout(90)
async def test_poison_on_every_topic_is_dead_lettered_by_every_consumer_while_the_rest_flows(
    own_broker: str, tmp_path: Path
) -> None:
    marker = os.urandom(3).hex()
    prefix = f"poison-{marker}"
    alert = lift_custom_alert(
        {"title": f"Checkout queue backed up {marker}", "severity": "critical", "source": "shop"},
        origin="custom",
        producer="/test",
    )
    fingerprint = alert.data.fingerprint
    key = fingerprint.encode()  # the poison shares the alert's partitions, ahead of it
    poison = f'{{"id": "poison-{marker}", '.encode() + b"\xff"
    expected = Counter((topic(name).dlq, service) for service, name in READS)
    slack = FakeSlack()
    with serving(slack.app()) as slack_url, ExitStack() as stack:
        env = {
            **slack.env(slack_url),
            "ALERTORCH_CONFIG_DIR": str(REPO / "config"),
            "ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path),
            "ALERTORCH_KAFKA__GROUP_PREFIX": prefix,
        }
        # started together, so that their imports and group joins overlap
        running = [
            stack.enter_context(running_service(name, bootstrap=own_broker, env=env, ready=False))
            for name in SERVICES
        ]
        for service in running:
            wait_http(f"{service.url}/readyz", timeout=60)
        for spec in TOPICS:
            await produce_keyed(own_broker, spec.name, [(key, poison)])
        await produce_keyed(own_broker, ERRORS_RAW, [(key, alert.to_json_bytes())])

        async def dead_lettered() -> Counter[tuple[str, str]]:
            """(DLQ, service) of every copy of the poison on the DLQs."""
            dlqs = sorted({dlq for dlq, _ in expected})
            found: Counter[tuple[str, str]] = Counter()
            for dlq, records in zip(
                dlqs,
                await asyncio.gather(*(read_all(own_broker, dlq) for dlq in dlqs)),
                strict=True,
            ):
                for record in records:
                    if record.value == poison:
                        found[(dlq, dict(record.headers)[H_SERVICE].decode())] += 1
            return found

        async def dead_letters() -> int:
            return (await dead_lettered()).total()

        async def caught_up() -> int:
            """How many of READS their service's group has committed to the end: past the
            poison and past all that followed it, so nothing is left to deliver again."""
            behind: Counter[tuple[str, str]] = Counter()
            for group in await consumer_groups(own_broker, prefix):
                service = group.group.removeprefix(f"{prefix}-").split("-")[0]
                for name, lag in group.lag.items():
                    behind[(service, name)] += lag
            return sum(read in behind and behind[read] == 0 for read in READS)

        def roots() -> Counter[str]:
            """Slack roots posted for the alert, by channel."""
            return Counter(m.channel for m in slack.roots() if problem_of(m.body) == fingerprint)

        async def posted() -> int:
            return roots().total()

        await wait_for(dead_letters, expected.total(), 30)
        await wait_for(posted, 1, 30)
        # read after the first post, so the notification posted is among what must be committed
        await wait_for(caught_up, len(READS), 30)
        async with httpx.AsyncClient(timeout=5) as client:
            for service in running:
                assert (await client.get(f"{service.url}/readyz")).status_code == 200

    assert await dead_lettered() == expected
    assert set(roots().values()) == {1}, f"a root was posted twice: {roots()}"
