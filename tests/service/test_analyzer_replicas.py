"""Two analyzer replicas in one consumer group on shared PostgreSQL state; one is SIGKILLed
mid-stream. Every error is classified, and every fingerprint's counts are exact: no occurrence
lost, none counted twice, whichever replica owned the partition."""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

from shared.events import ClassifiedError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, topic
from tests.kafka_helpers import kill_mid_stream, read_all, read_until
from tests.procs import two_replicas

pytestmark = pytest.mark.broker

FINGERPRINTS = 40
PER_FINGERPRINT = 50  # 2,000 events


async def test_counts_stay_exact_when_a_replica_dies_mid_stream(
    own_broker: str, postgres_url: str
) -> None:
    marker = os.urandom(4).hex()
    events = [
        lift_custom_alert(
            {
                "title": f"worker {marker} queue {n} stalled",
                "severity": "medium",
                "source": "jobs",
                "dedup_key": f"{marker}-{n}",
            },
            origin="custom",
            producer="/test",
        )
        for _ in range(PER_FINGERPRINT)
        for n in range(FINGERPRINTS)
    ]
    env = {
        "ALERTORCH_STORAGE__URL": postgres_url,
        "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "2",  # many small transactions: room to kill
        "ALERTORCH_KAFKA__GROUP_PREFIX": f"replicas-{marker}",
    }
    mine = lambda r: r.value is not None and marker.encode() in r.value  # noqa: E731
    total = len(events)
    with two_replicas("analyzer", bootstrap=own_broker, env=env) as first:
        keyed = [(e.data.fingerprint.encode(), e.to_json_bytes()) for e in events]
        await kill_mid_stream(
            first, own_broker, ERRORS_RAW, keyed, outputs=ERRORS_CLASSIFIED, kill_at=200, match=mine
        )
        records = await read_until(
            own_broker,
            ERRORS_CLASSIFIED,
            lambda r: len({_event(x).id for x in r}) >= total,
            match=mine,
            timeout=120,
        )
    outputs = {(_event(r).id, _event(r).data.frequency.last_day) for r in records}
    outputs |= {
        (_event(r).id, _event(r).data.frequency.last_day)
        for r in await read_all(own_broker, ERRORS_CLASSIFIED, match=mine)
    }
    by_id: dict[str, set[int]] = defaultdict(set)
    by_fingerprint: dict[str, list[int]] = defaultdict(list)
    for event_id, day in outputs:
        by_id[event_id].add(day)
    assert len(by_id) == total  # every error classified
    assert all(len(days) == 1 for days in by_id.values()), "a redelivery changed an output"
    for record in records:
        event = _event(record)
        if event.id in by_id:
            by_fingerprint[event.data.fingerprint].append(by_id.pop(event.id).pop())
    assert len(by_fingerprint) == FINGERPRINTS
    for counts in by_fingerprint.values():
        assert sorted(counts) == list(range(1, PER_FINGERPRINT + 1))


def _event(record: object) -> ClassifiedError:
    event = topic(ERRORS_CLASSIFIED).decode(record.value)  # type: ignore[attr-defined]
    assert isinstance(event, ClassifiedError)
    return event
