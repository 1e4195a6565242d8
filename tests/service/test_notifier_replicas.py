"""Two notifier replicas in one consumer group on shared PostgreSQL state, posting to a fake
Slack; one is SIGKILLed mid-stream. Every problem gets its root in each channel of its level,
no root is ever posted twice, and each problem's escalation timer (3 s here) fires exactly once
across the replicas and the kill: one escalation, under one id. (Its record may be on the topic
twice: a replica killed after publishing a tick's escalations and before committing its state
leaves the tick to the other replica, which publishes the same notifications under the same
ids, and delivery keys on the id.)"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from services.notifier.delivery.base import SEND_LEASE_SECONDS
from shared.events import Notification
from shared.topics import NOTIFICATIONS, RESOLUTIONS, topic
from tests.fakes.server import served
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import produce_keyed, read_all
from tests.notifications import unfixed
from tests.procs import two_replicas
from tests.service.test_notifier_service import _title

pytestmark = pytest.mark.broker

REPO = Path(__file__).resolve().parents[2]
PROBLEMS = 12
EVENTS = 2000
TIMEOUT_MINUTES = 0.05  # level 2 escalates to level 3 after 3 s without an acknowledgement


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    fake.add_channel("#management", "C0MANAGEMENT")
    with served(fake) as fake_and_url:
        yield fake_and_url


def _config(tmp_path: Path) -> Path:
    """The default configuration with level 2 timing out in seconds and no caps in the way."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "escalation_rules.yaml"
    rules = yaml.safe_load(path.read_text())
    rules["escalation_levels"]["level_2"]["timeout_minutes"] = TIMEOUT_MINUTES
    limits = rules["prevention_rules"]["rate_limiting"]
    limits.update(max_escalations_per_hour=1000, cooldown_between_escalations=0)
    path.write_text(yaml.safe_dump(rules))
    return config


# two notifier processes on PostgreSQL working off 2,000 notifications, one killed: 60-120 s,
# or past the lease of a send the kill cut short
@pytest.mark.timeout(480)
async def test_two_replicas_post_each_root_once_and_fire_each_timer_once_when_one_dies(
    own_broker: str, postgres_url: str, slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    fake, url = slack
    marker = os.urandom(4).hex()
    fingerprints = [f"{marker}{n:04d}" for n in range(PROBLEMS)]
    # Titles of their own words (spelt from n): none is suppressed as a duplicate of another.
    titles = {
        fp: _title("Replica lost its database", f"{n:08d}") for n, fp in enumerate(fingerprints)
    }
    events = [
        unfixed(fp, titles[fp], count=n // PROBLEMS + 1)
        for n, fp in ((n, fingerprints[n % PROBLEMS]) for n in range(EVENTS))
    ]
    env = {
        "ALERTORCH_STORAGE__URL": postgres_url,
        "ALERTORCH_KAFKA__GROUP_PREFIX": f"notifier-replicas-{marker}",
        "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "20",
        "ALERTORCH_CONFIG_DIR": str(_config(tmp_path)),
        **fake.env(url),
    }

    def roots() -> Counter[tuple[str, str]]:
        return Counter(
            (m.channel, fp) for m in fake.roots() for fp, t in titles.items() if t in m.text
        )

    with two_replicas("notifier", bootstrap=own_broker, env=env) as first:
        await produce_keyed(
            own_broker, RESOLUTIONS, [(e.subject.encode(), e.to_json_bytes()) for e in events]
        )
        for _ in range(600):
            if len(roots()) >= PROBLEMS // 2:
                break
            await asyncio.sleep(0.1)
        first.stop(signal.SIGKILL)
        posted = roots()
        assert len(posted) < 2 * PROBLEMS, "the kill did not land mid-stream"
        # Level 2 posts to #oncall and #alerts; its timer raises each problem to level 3, which
        # adds #management. A root whose post the kill cut short is posted once the lease of its
        # send has run out (SEND_LEASE_SECONDS): it may take that long and then some.
        for _ in range(int((SEND_LEASE_SECONDS + 60) * 10)):
            posted = roots()
            if len(posted) >= 3 * PROBLEMS:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(3 * TIMEOUT_MINUTES * 60)  # room for a second firing, if there were one
        posted = roots()
    assert len(posted) == 3 * PROBLEMS, f"roots missing: {sorted(posted)}"
    assert set(posted.values()) == {1}, f"a root was posted twice: {posted.most_common(3)}"
    fired = {
        (n.data.fingerprint, n.id)
        for n in await _notifications(own_broker)
        if n.data.kind == "escalation" and n.data.fingerprint in titles
    }
    escalations = Counter(fp for fp, _ in fired)
    assert escalations == dict.fromkeys(titles, 1), f"timers fired: {escalations}"


async def _notifications(bootstrap: str) -> list[Notification]:
    spec = topic(NOTIFICATIONS)
    out = []
    for record in await read_all(bootstrap, NOTIFICATIONS):
        event = spec.decode(record.value)
        assert isinstance(event, Notification)
        out.append(event)
    return out
