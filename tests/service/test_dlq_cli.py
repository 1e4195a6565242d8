"""``alertorch dlq list|show|replay``, run as users run it, on the real broker.

A poison message dead-lettered by the real analyzer is listed and shown with its original bytes;
replayed while still poison it is dead-lettered again, not lost, and never replayed twice. A valid
event dead-lettered by the runner's own dead-letter code is replayed, classified once, and a
second replay publishes nothing. An empty or missing DLQ, an unknown id and an unreachable broker
are one clear line each.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.errors import InvalidMessage
from shared.events import ClassifiedError, lift_custom_alert
from shared.kafka.admin import ensure_topics
from shared.kafka.dlq import DeadLetterPolicy, DlqBudget
from shared.kafka.embedded import free_port
from shared.kafka.producer import EventProducer
from shared.runner import Consumed
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, topic
from tests.kafka_helpers import Record, produce, read_all, read_until
from tests.procs import cli, running_service

pytestmark = pytest.mark.broker

DLQ = ERRORS_RAW + ".dlq"
REPLAY_OF = "alertorch-replay-of"


def _dlq(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = cli("dlq", *args, env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap})
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _listed(bootstrap: str, source: str) -> list[dict[str, Any]]:
    result = _dlq(bootstrap, "list", source, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


async def _dead_letter(bootstrap: str, *records: Consumed) -> None:
    """Dead-letter ``records`` with the code the runner uses (:mod:`shared.kafka.dlq`)."""
    producer = EventProducer(bootstrap_servers=bootstrap, service="analyzer")
    await producer.start()
    try:
        policy = DeadLetterPolicy(
            service="analyzer",
            sender=producer,
            max_retries=0,
            backoff_seconds=0.0,
            max_backoff_seconds=0.0,
            budget=DlqBudget(100),
        )
        for record in records:
            failure = InvalidMessage("error_patterns.json failed to load")
            assert await policy.dead_letter(record, failure, 1)
    finally:
        await producer.stop()


async def _end_offset(bootstrap: str, name: str, partition: int) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(name, partition)
        return int((await consumer.end_offsets([tp]))[tp])
    finally:
        await consumer.stop()


def _replays(record: Record) -> bool:
    return any(name == REPLAY_OF for name, _ in record.headers)


async def test_poison_from_the_analyzer_is_listed_shown_and_dead_lettered_again_on_replay(
    kafka_bootstrap: str,
) -> None:
    marker = os.urandom(4).hex()
    poison = f'{{"title": "half an alert {marker}", '.encode() + b"\xff"
    key = f"poison-{marker}".encode()
    with running_service("analyzer", bootstrap=kafka_bootstrap):
        await produce(kafka_bootstrap, ERRORS_RAW, [poison], key=key)
        await read_until(
            kafka_bootstrap, DLQ, lambda r: len(r) >= 1, match=lambda r: r.value == poison
        )

        [entry] = [e for e in _listed(kafka_bootstrap, ERRORS_RAW) if e["key"] == key.decode()]
        assert entry["error_class"] == "InvalidMessage"
        assert entry["reason"].startswith("not JSON")
        assert entry["service"] == "analyzer"
        assert entry["source_topic"] == ERRORS_RAW
        assert entry["dead_lettered_at"]
        plain = _dlq(kafka_bootstrap, "list", ERRORS_RAW)
        assert plain.returncode == 0
        [line] = [x for x in plain.stdout.splitlines() if x.startswith(entry["id"] + " ")]
        assert key.decode() in line
        assert "InvalidMessage: not JSON" in line

        shown = _dlq(kafka_bootstrap, "show", ERRORS_RAW, "--id", entry["id"])
        assert shown.returncode == 0, shown.stderr
        assert repr(poison) in shown.stdout  # the original bytes, as they were
        assert "alertorch-error-reason: not JSON" in shown.stdout
        assert f"key            {key.decode()}" in shown.stdout

        # Still poison: replayed, it is dead-lettered again (not lost), marked as a replay.
        first = _dlq(kafka_bootstrap, "replay", ERRORS_RAW, "--id", entry["id"])
        assert first.returncode == 0, first.stderr
        assert f"replayed {entry['id']} -> {ERRORS_RAW} partition" in first.stdout
        letters = await read_until(
            kafka_bootstrap, DLQ, lambda r: len(r) >= 2, match=lambda r: r.value == poison
        )
        [again] = [r for r in letters if _replays(r)]
        origin = f"{ERRORS_RAW}/{entry['source_partition']}/{entry['source_offset']}"
        assert dict(again.headers)[REPLAY_OF] == origin.encode()
        assert again.key == key

        second = _dlq(kafka_bootstrap, "replay", ERRORS_RAW, "--id", entry["id"])
        assert second.returncode == 0, second.stderr
        assert f"skipped  {entry['id']}: already replayed" in second.stdout
        assert not [x for x in second.stdout.splitlines() if x.startswith("replayed")]

    copies = await read_all(kafka_bootstrap, ERRORS_RAW, match=lambda r: r.value == poison)
    assert len(copies) == 2  # the original and one replay
    replay = next(r for r in copies if _replays(r))
    assert replay.key == key
    assert replay.partition == entry["source_partition"]
    assert [name for name, _ in replay.headers] == [REPLAY_OF]  # no dead-letter headers


async def test_a_valid_dead_letter_is_replayed_and_classified_once(kafka_bootstrap: str) -> None:
    marker = os.urandom(4).hex()
    event = lift_custom_alert(
        {
            "title": f"Payment provider returning 502 ({marker})",
            "severity": "high",
            "source": "pay",
        },
        origin="custom",
        producer="/test",
    )
    fp = event.data.fingerprint
    original = Consumed(
        topic=ERRORS_RAW,
        partition=0,
        offset=await _end_offset(kafka_bootstrap, ERRORS_RAW, 0),
        key=fp.encode(),
        value=event.to_json_bytes(),
        headers=(("ce_id", event.id.encode()),),
    )
    await _dead_letter(kafka_bootstrap, original)
    [entry] = [e for e in _listed(kafka_bootstrap, ERRORS_RAW) if e["event_id"] == event.id]
    assert entry["reason"] == "error_patterns.json failed to load"

    with running_service("analyzer", bootstrap=kafka_bootstrap):
        first = _dlq(kafka_bootstrap, "replay", ERRORS_RAW, "--id", entry["id"])
        assert first.returncode == 0, first.stderr
        assert f"replayed {entry['id']}" in first.stdout
        await read_until(
            kafka_bootstrap,
            ERRORS_CLASSIFIED,
            lambda r: len(r) >= 1,
            match=lambda r: r.key == fp.encode(),
        )
        second = _dlq(kafka_bootstrap, "replay", ERRORS_RAW, "--id", entry["id"])
        assert f"skipped  {entry['id']}: already replayed" in second.stdout
        await asyncio.sleep(2.0)  # room for a second output, if there were one

    classified = await read_all(
        kafka_bootstrap, ERRORS_CLASSIFIED, match=lambda r: r.key == fp.encode()
    )
    assert len(classified) == 1
    output = topic(ERRORS_CLASSIFIED).decode(classified[0].value)
    assert isinstance(output, ClassifiedError)
    assert output.correlationid == event.id
    copies = await read_all(kafka_bootstrap, ERRORS_RAW, match=lambda r: r.value == original.value)
    assert len(copies) == 1
    assert copies[0].key == fp.encode()
    assert dict(copies[0].headers) == {
        "ce_id": event.id.encode(),
        REPLAY_OF: original.coordinates.encode(),
    }


async def test_replay_of_all_sends_original_bytes_key_and_headers_once_per_message(
    kafka_bootstrap: str,
) -> None:
    name = f"dlqcli-{os.urandom(4).hex()}"
    await ensure_topics(kafka_bootstrap, partitions=1, names=[name, name + ".dlq"])
    binary = Consumed(name, 0, 0, key=b"k-a", value=b"\x00\xffbinary", headers=(("trace", b"t1"),))
    document = Consumed(name, 0, 1, key=None, value=b'{"n": 1, "ok": false}', headers=())
    await produce(kafka_bootstrap, name, [b"\x00\xffbinary"], key=b"k-a")
    await produce(kafka_bootstrap, name, [b'{"n": 1, "ok": false}'])
    # The second message is dead-lettered twice, as a failure redelivered before its commit is.
    await _dead_letter(kafka_bootstrap, binary, document, document)

    listed = _listed(kafka_bootstrap, name)
    assert [e["id"] for e in listed] == ["0:0", "0:1", "0:2"]
    assert [e["key"] for e in listed] == ["k-a", None, None]
    shown = _dlq(kafka_bootstrap, "show", name + ".dlq", "--id", "0:1")
    assert shown.returncode == 0, shown.stderr
    assert '"n": 1,\n  "ok": false' in shown.stdout  # pretty JSON

    first = _dlq(kafka_bootstrap, "replay", name)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"replayed 0:0 -> {name} partition 0 offset 2",
        f"replayed 0:1 -> {name} partition 0 offset 3",
        f"skipped  0:2: already replayed ({name} partition 0 offset 3)",
    ]
    again = _dlq(kafka_bootstrap, "replay", name)
    assert again.returncode == 0, again.stderr
    assert [line.split(":")[0] for line in again.stdout.splitlines()] == [
        "skipped  0",
        "skipped  0",
        "skipped  0",
    ]
    records = await read_all(kafka_bootstrap, name)
    assert len(records) == 4
    assert [(r.key, r.value, list(r.headers)) for r in records[2:]] == [
        (b"k-a", b"\x00\xffbinary", [("trace", b"t1"), (REPLAY_OF, f"{name}/0/0".encode())]),
        (None, b'{"n": 1, "ok": false}', [(REPLAY_OF, f"{name}/0/1".encode())]),
    ]


async def test_empty_or_missing_dlq_and_unknown_ids_are_one_clear_line(
    kafka_bootstrap: str,
) -> None:
    name = f"dlqcli-{os.urandom(4).hex()}"
    await ensure_topics(kafka_bootstrap, partitions=2, names=[name, name + ".dlq"])
    for action in ("list", "replay"):
        empty = _dlq(kafka_bootstrap, action, name)
        assert empty.returncode == 0, empty.stderr
        assert f"no dead letters on {name}.dlq" in empty.stderr
        assert empty.stdout == ""

    missing = _dlq(kafka_bootstrap, "list", f"nosuch-{name}")
    assert missing.returncode == 1
    assert f"error: topic nosuch-{name}.dlq does not exist" in missing.stderr

    unknown = _dlq(kafka_bootstrap, "show", name, "--id", "1:5")
    assert unknown.returncode == 1
    assert f"error: no dead letter 1:5 on {name}.dlq" in unknown.stderr
    no_partition = _dlq(kafka_bootstrap, "replay", name, "--id", "7:0")
    assert no_partition.returncode == 1
    assert "has no partition 7" in no_partition.stderr

    malformed = _dlq(kafka_bootstrap, "show", name, "--id", "latest")
    assert malformed.returncode == 2
    assert "expected PARTITION:OFFSET" in malformed.stderr


@pytest.mark.parametrize("action", ["list", "replay"])
def test_an_unreachable_broker_is_one_line_and_exit_1(action: str) -> None:
    result = _dlq(f"127.0.0.1:{free_port()}", action, ERRORS_RAW, "--broker-timeout", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no Kafka broker answered")
    assert len(result.stderr.strip().splitlines()) == 1
