"""Two analyzer replicas in one consumer group on shared PostgreSQL state; one is SIGKILLed
mid-stream. Every error is classified, and every fingerprint's counts are exact: no occurrence
lost, none counted twice, whichever replica owned the partition. Errors come keyed by their
fingerprint, or as bare alerts under other keys: a replica classifies a bare alert at once when
it holds the fingerprint's partition and re-keys it to the other replica when not."""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

from shared.events import ClassifiedError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, topic
from tests.kafka_helpers import Record, kill_mid_stream, read_all, read_until
from tests.procs import two_replicas

pytestmark = pytest.mark.broker

FINGERPRINTS = 40
PER_FINGERPRINT = 50  # 2,000 events


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "bare"])
async def test_counts_stay_exact_when_a_replica_dies_mid_stream(
    own_broker: str, postgres_url: str, keyed: bool
) -> None:
    marker = os.urandom(4).hex()
    alerts = [
        {
            "title": f"worker {marker} queue {n} stalled",
            "severity": "medium",
            "source": "jobs",
            "dedup_key": f"{marker}-{n}",
        }
        for _ in range(PER_FINGERPRINT)
        for n in range(FINGERPRINTS)
    ]
    events = [lift_custom_alert(a, origin="custom", producer="/test") for a in alerts]
    if keyed:
        records = [(e.data.fingerprint.encode(), e.to_json_bytes()) for e in events]
    else:
        records = [(b"%d" % n, json.dumps(a).encode()) for n, a in enumerate(alerts)]
    env = {
        "ALERTORCH_STORAGE__URL": postgres_url,
        "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "2",  # many small transactions: room to kill
        "ALERTORCH_KAFKA__GROUP_PREFIX": f"replicas-{marker}",
    }

    def mine(r: Record) -> bool:
        return r.value is not None and marker.encode() in r.value

    total = len(events)
    with two_replicas("analyzer", bootstrap=own_broker, env=env) as first:
        await kill_mid_stream(
            first,
            own_broker,
            ERRORS_RAW,
            records,
            outputs=ERRORS_CLASSIFIED,
            kill_at=200,
            match=mine,
        )
        classified = await read_until(
            own_broker,
            ERRORS_CLASSIFIED,
            lambda r: len({_event(x).id for x in r}) >= total,
            match=mine,
            timeout=120,
        )
    outputs = {(_event(r).id, _event(r).data.frequency.last_day) for r in classified}
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
    for record in classified:
        event = _event(record)
        if event.id in by_id:
            by_fingerprint[event.data.fingerprint].append(by_id.pop(event.id).pop())
    assert len(by_fingerprint) == FINGERPRINTS
    for counts in by_fingerprint.values():
        assert sorted(counts) == list(range(1, PER_FINGERPRINT + 1))
    if not keyed:  # the replicas took bare alerts both ways: at once, and re-keyed
        copies = await read_all(
            own_broker,
            ERRORS_RAW,
            match=lambda r: mine(r) and b'"rekeyed":true' in (r.value or b""),
        )
        assert 0 < len(copies) < total, f"{len(copies)} of {total} re-keyed"


def _event(record: object) -> ClassifiedError:
    event = topic(ERRORS_CLASSIFIED).decode(record.value)  # type: ignore[attr-defined]
    assert isinstance(event, ClassifiedError)
    return event
