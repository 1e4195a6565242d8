"""Consumer groups, their members and their lag, read from the broker itself.

The groups are those named ``<prefix>-…`` (every consumer of ours is). A group's topics are the
project's topics on which it has committed an offset; its lag on one is, summed over the
topic's partitions, the end offset less the committed offset (less the beginning offset where
the group has committed nothing yet: a new group reads from the earliest). Committed offsets are
read with an assign-only consumer carrying the group id, which works on Apache Kafka and on the
embedded broker alike (the admin client's offset listing does not decode on the latter).

End offsets are checked against the partition's last record: the embedded broker answers the
offset after the *first* record of the last batch written, so three records produced in one
batch would show as one. Reading from the reported end less one returns that whole batch, whose
last record gives the true end (on Apache Kafka the two agree).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.topics import all_topic_names

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GroupLag:
    group: str
    #: The broker's view: Stable, Empty, PreparingRebalance, ... ("unknown" if unreadable)
    state: str
    members: int | None
    #: Messages not yet committed, per topic the group reads.
    lag: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.lag.values())


def lag_of(
    committed: dict[TopicPartition, int | None],
    beginnings: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
) -> dict[str, int]:
    """Per topic with at least one committed partition: what is left to read."""
    topics = {tp.topic for tp, offset in committed.items() if offset is not None}
    lag: dict[str, int] = {}
    for tp, offset in committed.items():
        if tp.topic in topics:
            start = offset if offset is not None else beginnings.get(tp, 0)
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, ends.get(tp, 0) - start)
    return dict(sorted(lag.items()))


async def consumer_groups(
    bootstrap_servers: str, prefix: str, *, topics: Iterable[str] | None = None
) -> list[GroupLag]:
    """Every group named ``<prefix>-…``, by name, with its members and its lag."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    await admin.start()
    try:
        listed = await admin.list_consumer_groups()
        names = sorted(str(g[0]) for g in listed if str(g[0]).startswith(f"{prefix}-"))
        described = await asyncio.gather(*(_describe(admin, name) for name in names))
    finally:
        await admin.close()
    states = dict(zip(names, described, strict=True))
    partitions, beginnings, ends = await extents(bootstrap_servers, topics or all_topic_names())
    found = []
    for name in names:
        committed = await _committed(bootstrap_servers, name, partitions)
        state, members = states[name]
        found.append(GroupLag(name, state, members, lag_of(committed, beginnings, ends)))
    return found


async def extents(
    bootstrap_servers: str, topics: Iterable[str]
) -> tuple[list[TopicPartition], dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Every partition of those of ``topics`` that exist, each one's first offset and its end
    (:func:`end_offsets`), read with a consumer of its own."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = await partitions_of(reader, topics)
        beginnings = await reader.beginning_offsets(partitions)
        return partitions, beginnings, await end_offsets(reader, partitions)
    finally:
        await reader.stop()


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of those of ``topics`` that exist, in order."""
    known = set(await consumer.topics())
    return [
        TopicPartition(topic, partition)
        for topic in topics
        if topic in known
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]


async def end_offsets(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition], *, timeout: float = 2.0
) -> dict[TopicPartition, int]:
    """Each partition's end, one past its last record (see the module's notes). Leaves
    ``consumer`` assigned to the partitions that hold records."""
    beginnings = await consumer.beginning_offsets(partitions)
    ends = {tp: int(offset) for tp, offset in (await consumer.end_offsets(partitions)).items()}
    pending = {tp for tp, end in ends.items() if end > beginnings.get(tp, 0)}
    if not pending:
        return ends
    consumer.assign(sorted(pending))
    for tp in pending:
        consumer.seek(tp, ends[tp] - 1)
    deadline = asyncio.get_running_loop().time() + timeout
    while pending and asyncio.get_running_loop().time() < deadline:
        fetched = await consumer.getmany(*pending, timeout_ms=200)
        for tp, records in fetched.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                pending.discard(tp)
    return ends


async def _describe(admin: AIOKafkaAdminClient, group: str) -> tuple[str, int | None]:
    """The group's state and member count; ("unknown", None) when the broker's answer about
    it cannot be read."""
    try:
        [response] = await asyncio.wait_for(admin.describe_consumer_groups([group]), 3.0)
        [(_, _, state, _, _, members)] = response.groups
    except (TimeoutError, KafkaError, ValueError) as exc:
        log.warning("consumer group not described", group=group, error=repr(exc))
        return "unknown", None
    return str(state), len(members)


async def _committed(
    bootstrap_servers: str, group: str, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, int | None]:
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await reader.start()
    try:
        reader.assign(list(partitions))  # assign-only: never joins the group
        offsets = await asyncio.gather(*(reader.committed(tp) for tp in partitions))
    finally:
        await reader.stop()
    return dict(zip(partitions, offsets, strict=True))
