"""Consumer groups and their lag, read from the real broker the way the console's status does."""

from __future__ import annotations

import os

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.kafka.admin import ensure_topics
from shared.kafka.lag import consumer_groups, end_offsets, lag_of
from tests.kafka_helpers import produce_keyed

pytestmark = pytest.mark.broker


async def test_the_end_of_a_partition_counts_every_record_of_a_batch(kafka_bootstrap: str) -> None:
    topic = f"lag-{os.urandom(4).hex()}"
    await ensure_topics(kafka_bootstrap, partitions=1, names=[topic])
    await produce_keyed(kafka_bootstrap, topic, [(b"k", b"%d" % i) for i in range(5)])  # one batch
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        assert await end_offsets(reader, [TopicPartition(topic, 0)]) == {
            TopicPartition(topic, 0): 5
        }
    finally:
        await reader.stop()


async def test_a_group_s_lag_is_what_it_has_not_committed(kafka_bootstrap: str) -> None:
    run = os.urandom(4).hex()
    topic, prefix = f"lag-{run}", f"lagtest-{run}"
    await ensure_topics(kafka_bootstrap, partitions=2, names=[topic])
    await produce_keyed(kafka_bootstrap, topic, [(b"a", b"1"), (b"a", b"2"), (b"a", b"3")])
    group = f"{prefix}-notifier-policy"
    member = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await member.start()
    try:
        read: list[int] = []
        while len(read) < 1:
            for records in (await member.getmany(timeout_ms=1000, max_records=1)).values():
                read += [r.offset for r in records]
        [tp] = [tp for tp in member.assignment() if await member.position(tp) > 0]
        await member.commit({tp: 1})  # one of three read and committed
        [found] = await consumer_groups(kafka_bootstrap, prefix, topics=[topic])
    finally:
        await member.stop()
    assert found.group == group
    assert found.lag == {topic: 2}
    assert found.total == 2
    assert found.members == 1
    assert found.state == "Stable"
    assert await consumer_groups(kafka_bootstrap, f"nobody-{run}", topics=[topic]) == []


def test_lag_counts_partitions_without_a_commit_from_their_beginning() -> None:
    a0, a1, b0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)
    committed = {a0: 7, a1: None, b0: None}
    assert lag_of(committed, {a0: 0, a1: 2, b0: 0}, {a0: 10, a1: 5, b0: 9}) == {"a": 6}
