"""Offsets a consumer was never given: found in each batch and fetched again once.

A consumer reads a partition's offsets in order, one after another. The embedded broker now and
then leaves one out of what a consumer is given, though the record stays on the topic
(docs/performance.md, *The embedded broker can skip a record*); left alone, that alert would be
lost. So each batch is checked against the offset its partition should continue at: at a gap,
the partition's messages from the gap on are held back and the consumer reads the partition
again from the gap, once. A gap still there on the second read is the broker's own (a compacted
record, a transaction marker on Apache Kafka) and is passed.

A rebalance forgets the partitions it moves: their next batch starts wherever the group had
committed. A batch that starts before the expected offset (the runner rewound) is taken as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition

from shared.kafka.consumed import Consumed
from shared.metrics import counter

log = structlog.get_logger(__name__)

OFFSET_GAPS = counter(
    "alertorch_offset_gaps_total",
    "Offsets a consumer was not given, by outcome: refetched (the partition is read again from "
    "the gap) or passed (still missing when read again: compacted or a transaction marker).",
    ["service", "topic", "outcome"],
)

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Admitted:
    """What to handle of a batch, and where to read again per partition held back at a gap."""

    messages: list[Consumed]
    refetch: dict[Partition, int]


@dataclass
class OffsetGaps(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """One consumer's expected next offset per partition, and the gaps it has read again."""

    service: str
    enabled: bool = True
    _next: dict[Partition, int] = field(default_factory=dict)
    _refetched: set[tuple[str, int, int]] = field(default_factory=set)

    def admit(self, batch: Sequence[Consumed]) -> Admitted:
        """The messages of ``batch`` before any gap that was not read again yet; for each
        partition cut at such a gap, the offset to read it from again."""
        if not self.enabled:
            return Admitted(list(batch), {})
        admitted: list[Consumed] = []
        refetch: dict[Partition, int] = {}
        for message in batch:
            key = (message.topic, message.partition)
            if key in refetch:
                continue
            expected = self._next.get(key)
            if expected is not None and message.offset > expected:
                gap = (message.topic, message.partition, expected)
                again = gap not in self._refetched
                self._report(message, expected, again=again)
                if again:
                    self._refetched.add(gap)
                    refetch[key] = expected
                    continue
                self._refetched.discard(gap)
            elif self._refetched:  # a gap read again was filled: forget it
                self._refetched.discard((message.topic, message.partition, message.offset))
            self._next[key] = message.offset + 1
            admitted.append(message)
        return Admitted(admitted, refetch)

    def _report(self, message: Consumed, expected: int, *, again: bool) -> None:
        """Count and log the offsets from ``expected`` up to ``message``: read ``again``, or
        passed."""
        OFFSET_GAPS.labels(self.service, message.topic, "refetched" if again else "passed").inc()
        say = log.warning if again else log.info
        say(
            "consumer was not given an offset; reading the partition again from it"
            if again
            else "offsets still missing when read again; passing them",
            topic=message.topic,
            partition=message.partition,
            missing=f"{expected}..{message.offset - 1}",
        )

    def rewound(self, partition: Partition, offset: int) -> None:
        """The consumer was sent back to ``offset`` on ``partition``."""
        self._next[partition] = offset

    def forget(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self._next.pop((tp.topic, tp.partition), None)
        self._refetched = {gap for gap in self._refetched if (gap[0], gap[1]) in self._next}

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.forget(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.forget(assigned)
