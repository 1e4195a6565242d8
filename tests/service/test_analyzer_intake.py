"""The analyzer, run as its own process, takes bare custom alerts from any Kafka producer.

One analyzer holds every partition of ``errors.raw``, so it classifies a bare alert at once:
nothing is re-published (tests/service/test_analyzer_replicas.py has replicas re-keying)."""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest

from shared.events import ClassifiedError
from shared.kafka.dlq import H_ERROR_REASON, H_SOURCE_TOPIC
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, topic
from tests.kafka_helpers import Record, produce, read_all, read_until
from tests.procs import running_service

pytestmark = pytest.mark.broker


def _classified(record: Record) -> ClassifiedError:
    event = topic(ERRORS_CLASSIFIED).decode(record.value, coordinates="test", producer="/test")
    assert isinstance(event, ClassifiedError)
    return event


def _marked(marker: str):  # type: ignore[no-untyped-def]
    def match(record: Record) -> bool:
        return (
            record.value is not None
            and marker.encode() in record.value
            and (b'"specversion"' in record.value)
        )

    return match


async def test_bare_alert_from_a_plain_producer_is_classified_under_its_fingerprint(
    kafka_bootstrap: str,
) -> None:
    marker = f"marker-{os.urandom(4).hex()}"
    alert = {
        "title": f"Checkout latency above 2s ({marker})",
        "severity": "high",
        "source": "checkout",
        "environment": "production",
        "tags": {"region": "eu"},
    }
    malformed = f'{{"title": "{marker} broken", '.encode()
    later = {"title": f"Second alert {marker}", "severity": "low", "source": "checkout"}
    with running_service("analyzer", bootstrap=kafka_bootstrap) as service:
        await produce(
            kafka_bootstrap,
            ERRORS_RAW,
            [json.dumps(alert).encode(), malformed, json.dumps(later).encode()],
        )
        records = await read_until(
            kafka_bootstrap, ERRORS_CLASSIFIED, lambda r: len(r) >= 2, match=_marked(marker)
        )
        dead = await read_until(
            kafka_bootstrap,
            ERRORS_RAW + ".dlq",
            lambda r: len(r) >= 1,
            match=lambda r: r.value == malformed,
        )
        async with httpx.AsyncClient(timeout=5) as client:
            metrics = (await client.get(f"{service.url}/metrics")).text
        raw = await read_all(
            kafka_bootstrap, ERRORS_RAW, match=lambda r: marker.encode() in r.value
        )
    events = [_classified(record) for record in records]
    first = next(e for e in events if e.data.error.title == alert["title"])
    assert first.data.error.severity == "high"
    assert first.data.error.service == "checkout"
    assert first.data.error.environment == "production"
    assert first.data.error.tags == {"region": "eu"}
    assert first.data.error.origin == "kafka"
    assert first.data.error.rekeyed is False
    record = next(r for r in records if _classified(r).id == first.id)
    assert record.key == first.data.fingerprint.encode()
    # errors.raw holds the three as they were published, and no copy
    assert sorted(r.value for r in raw) == sorted(
        [json.dumps(alert).encode(), malformed, json.dumps(later).encode()]
    )
    # The consumer went on past the malformed message.
    assert any(e.data.error.title == later["title"] for e in events)
    assert 'alertorch_messages_dead_lettered_total{error="InvalidMessage",service="analyzer"' in (
        metrics
    )
    assert (
        'alertorch_messages_consumed_total{outcome="ok",service="analyzer",topic="errors.raw"}'
        in (metrics)
    )
    headers = dict(dead[0].headers)
    assert headers[H_SOURCE_TOPIC] == ERRORS_RAW.encode()
    assert headers[H_ERROR_REASON].startswith(b"not JSON")


async def test_sigterm_mid_stream_loses_nothing_and_duplicates_nothing(
    kafka_bootstrap: str,
) -> None:
    marker = f"stream-{os.urandom(4).hex()}"
    count = 500
    small = {"ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "1"}  # one commit per message: stops mid-stream
    values = [
        json.dumps(
            {
                "title": f"{marker} job {i} failed",
                "severity": "medium",
                "source": "batch",
                "dedup_key": f"{marker}-{i}",
            }
        ).encode()
        for i in range(count)
    ]
    await produce(kafka_bootstrap, ERRORS_RAW, values)
    match = _marked(marker)
    with running_service("analyzer", bootstrap=kafka_bootstrap, env=small) as service:
        await read_until(kafka_bootstrap, ERRORS_CLASSIFIED, lambda r: len(r) >= 20, match=match)
        assert service.stop(signal.SIGTERM) == 0
    done_before_restart = len(await read_all(kafka_bootstrap, ERRORS_CLASSIFIED, match=match))
    assert 0 < done_before_restart < count, "the stop did not land mid-stream"
    with running_service("analyzer", bootstrap=kafka_bootstrap) as service:
        records = await read_until(
            kafka_bootstrap, ERRORS_CLASSIFIED, lambda r: len(r) >= count, match=match, timeout=60
        )
        assert service.stop(signal.SIGTERM) == 0
    ids = [_classified(record).id for record in records]
    assert len(ids) == count, f"{len(ids) - len(set(ids))} duplicates"
    assert len(set(ids)) == count
