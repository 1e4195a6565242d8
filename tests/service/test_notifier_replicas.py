"""Two notifier replicas in one consumer group on shared PostgreSQL state, posting to a fake
Slack; one is SIGKILLed mid-stream. Every problem gets its root in each channel of its level,
and no root is ever posted twice."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator

import pytest

from shared.events import ErrorSummary, Resolution, ResolutionData, new_event_id
from shared.topics import RESOLUTIONS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import produce_keyed
from tests.procs import running_service
from tests.service.test_notifier_service import _title

pytestmark = pytest.mark.broker

PROBLEMS = 12  # under the rules' max_escalations_per_hour (20)
EVENTS = 2000


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    with serving(fake.app()) as url:
        yield fake, url


def _resolution(fp: str, title: str, count: int) -> Resolution:
    event_id = new_event_id()
    return Resolution(
        id=event_id,
        source="/test",
        subject=fp,
        correlationid=event_id,
        data=ResolutionData(
            fingerprint=fp,
            status="no_strategy",
            reason="no strategy bound",
            summary=ErrorSummary(
                title=title,
                severity="critical",
                category="database",
                environment="production",
                service="checkout-api",
                count=count,
            ),
        ),
    )


async def test_two_replicas_post_each_root_once_when_one_dies(
    own_broker: str, postgres_url: str, slack: tuple[FakeSlack, str]
) -> None:
    fake, url = slack
    marker = os.urandom(4).hex()
    fingerprints = [f"{marker}{n:04d}" for n in range(PROBLEMS)]
    # Titles of their own words (spelt from n): none is suppressed as a duplicate of another.
    titles = {
        fp: _title("Replica lost its database", f"{n:08d}") for n, fp in enumerate(fingerprints)
    }
    events = [
        _resolution(fp, titles[fp], count=n // PROBLEMS + 1)
        for n, fp in ((n, fingerprints[n % PROBLEMS]) for n in range(EVENTS))
    ]
    env = {
        "ALERTORCH_STORAGE__URL": postgres_url,
        "ALERTORCH_KAFKA__GROUP_PREFIX": f"notifier-replicas-{marker}",
        "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "20",
        **fake.env(url),
    }

    def roots() -> Counter[tuple[str, str]]:
        return Counter(
            (m.channel, fp) for m in fake.roots() for fp, t in titles.items() if t in m.text
        )

    with (
        running_service("notifier", bootstrap=own_broker, env=env) as first,
        running_service("notifier", bootstrap=own_broker, env=env),
    ):
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
        for _ in range(1200):
            posted = roots()
            if len(posted) >= 2 * PROBLEMS:
                break
            await asyncio.sleep(0.1)
    assert len(posted) == 2 * PROBLEMS, f"roots missing: {sorted(posted)}"
    assert set(posted.values()) == {1}, f"a root was posted twice: {posted.most_common(3)}"
