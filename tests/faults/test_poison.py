"""Poison on every topic, with every consuming service running as a process on a broker of its
own: each service dead-letters each poison message it reads (to the topic's ``.dlq`` twin, with
the original bytes), stays ready, and an alert sent after the poison, in the same partitions,
still flows through to Slack."""

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
from shared.topics import ERRORS_RAW, TOPICS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import produce_keyed, read_all
from tests.procs import running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("analyzer", "resolver", "notifier", "api")


async def test_poison_on_every_topic_is_dead_lettered_by_every_consumer_while_the_rest_flows(
    own_broker: str, tmp_path: Path
) -> None:
    marker = os.urandom(3).hex()
    alert = lift_custom_alert(
        {"title": f"Checkout queue backed up {marker}", "severity": "critical", "source": "shop"},
        origin="custom",
        producer="/test",
    )
    key = alert.data.fingerprint.encode()  # the poison shares the alert's partitions
    poison = f'{{"id": "poison-{marker}", '.encode() + b"\xff"
    expected = Counter(
        (spec.dlq, service) for spec in TOPICS for service in spec.consumers if service in SERVICES
    )
    slack = FakeSlack()
    with serving(slack.app()) as slack_url, ExitStack() as stack:
        env = {
            **slack.env(slack_url),
            "ALERTORCH_CONFIG_DIR": str(REPO / "config"),
            "ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path),
            "ALERTORCH_KAFKA__GROUP_PREFIX": f"poison-{marker}",
        }
        running = [
            stack.enter_context(running_service(name, bootstrap=own_broker, env=env))
            for name in SERVICES
        ]
        for spec in TOPICS:
            await produce_keyed(own_broker, spec.name, [(key, poison)])
        await produce_keyed(own_broker, ERRORS_RAW, [(key, alert.to_json_bytes())])

        async def dead_lettered() -> Counter[tuple[str, str]]:
            found: Counter[tuple[str, str]] = Counter()
            for dlq in {name for name, _ in expected}:
                for record in await read_all(own_broker, dlq):
                    if record.value == poison:
                        found[(dlq, dict(record.headers)[H_SERVICE].decode())] += 1
            return found

        for _ in range(240):
            posted = [m for m in slack.roots() if marker in m.text]
            if posted and await dead_lettered() == expected:
                break
            await asyncio.sleep(0.25)
        assert await dead_lettered() == expected
        assert len(posted) >= 1, "the alert after the poison never reached Slack"
        async with httpx.AsyncClient(timeout=5) as client:
            for service in running:
                assert (await client.get(f"{service.url}/readyz")).status_code == 200
